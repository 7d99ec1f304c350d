import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, NatsRecordBuilder } from '@nestjs/microservices';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import {
  AddressedChecks,
  ErrorCode,
  EventChecks,
  Headers,
  READ_ONLY_SUBJECTS,
  subjectFor,
  type AddressedMap,
  type AddressedSubject,
  type EventMap,
  type EventSubject,
  type RpcReply,
  type RpcRequest,
  type RpcSubject,
} from '@platform/contracts';
import { firstValueFrom, timeout } from 'rxjs';
import { RemoteError } from './remote-error';
import { RequestContextStore } from './request-context';
import { LATENCY_BUCKETS, Metrics, secondsSince } from './telemetry/metrics';
import { injectNatsHeaders, inSpan, SpanKind } from './telemetry/propagation';
import { tracingEnabled } from './telemetry/state';

export const NATS_CLIENT = Symbol('NATS_CLIENT');
export const BUS_OPTIONS = Symbol('BUS_OPTIONS');
export interface BusOptions {
  requestTimeoutMs: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

/**
 * The service's connection to NATS, and the one place messages are encoded and decoded.
 * - `request`: queue-group request/reply typed by the contracts' `RpcMap`; carries the correlation id
 *   and principal as headers, always has a timeout, turns every failure into a `RemoteError`.
 * - `publish`/`subscribe`: fire-and-forget events typed by `EventMap` (live job events, aborts), on
 *   `<subject>.<id>`, without Nest's request envelope, which would only cost time on the hot path.
 * - `requestAt`/`serveAt`: request/reply addressed to one process (`AddressedMap`).
 * With tracing on, every message carries the sender's span as W3C `traceparent` headers
 * (telemetry/propagation.ts); `request` is measured in `nats_request_duration_seconds{subject,outcome}`.
 * Whatever is received is shape-checked (`EventChecks`, `AddressedChecks`); a bad message is logged and
 * dropped, never handed to a handler, and a handler's exception is logged, never thrown into NATS.
 */
@Injectable()
export class Bus implements OnApplicationShutdown {
  private readonly logger = new Logger(Bus.name);
  private readonly buckets = new Map<string, Promise<ObjectStore>>();
  private nc?: NatsConnection;
  private readonly reconnectListeners = new Set<() => void>();
  private readonly requestSeconds?: ReturnType<Metrics['histogram']>;
  constructor(
    @Inject(NATS_CLIENT) private readonly client: ClientProxy,
    @Inject(BUS_OPTIONS) private readonly options: BusOptions,
    @Optional() @Inject(Metrics) metrics?: Metrics,
  ) {
    this.requestSeconds = metrics?.histogram({
      name: 'nats_request_duration_seconds',
      help: 'NATS request/reply round trips this service made, by subject and outcome (ok, or the error code)',
      labelNames: ['subject', 'outcome'],
      buckets: LATENCY_BUCKETS,
    });
  }

  /**
   * A read (`READ_ONLY_SUBJECTS`) gets two attempts within `timeoutMs` when the first got no reply: when the replica that took the
   * first one dies (kill -9, a rolling restart), the second goes to another replica of the queue group
   * instead of the caller waiting out the whole timeout for a 504. A command gets one attempt: whether
   * it was carried out is unknown after a timeout, and a retry is the caller's (Idempotency-Key).
   */
  async request<S extends RpcSubject>(
    subject: S,
    data: RpcRequest<S>,
    timeoutMs = this.options.requestTimeoutMs,
    opts: { idempotent?: boolean } = {},
  ): Promise<RpcReply<S>> {
    const started = this.requestSeconds ? process.hrtime.bigint() : 0n;
    try {
      const reply = tracingEnabled()
        ? await inSpan(
            `${subject} send`,
            { kind: SpanKind.CLIENT, attributes: { 'messaging.system': 'nats', 'messaging.operation.type': 'send', 'messaging.destination.name': subject } },
            () => this.attempts(subject, data, timeoutMs, opts.idempotent === true),
          )
        : await this.attempts(subject, data, timeoutMs, opts.idempotent === true);
      this.requestSeconds?.observe({ subject, outcome: 'ok' }, secondsSince(started));
      return reply;
    } catch (err) {
      const outcome = err instanceof RemoteError ? String(err.code).toLowerCase() : 'error';
      this.requestSeconds?.observe({ subject, outcome }, secondsSince(started));
      throw err;
    }
  }

  /** `idempotent`: a command its receiver recognises when repeated (a submit with its job_id or Idempotency-Key) is as safe to send twice as a read. */
  private async attempts<S extends RpcSubject>(subject: S, data: RpcRequest<S>, timeoutMs: number, idempotent: boolean): Promise<RpcReply<S>> {
    if (!READ_ONLY_SUBJECTS.has(subject) && !idempotent) return this.attempt(subject, data, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    try {
      return await this.attempt(subject, data, Math.ceil(timeoutMs / 2));
    } catch (err) {
      // A replica that answered (a 503 because Postgres is down, say) would answer the same again: only
      // no reply or nobody listening is worth a second attempt, and the 503 stays fast.
      const retryable = err instanceof RemoteError && !err.answered && (err.code === ErrorCode.TIMEOUT || err.code === ErrorCode.SERVICE_UNAVAILABLE);
      const left = deadline - Date.now();
      if (!retryable || left < 100) throw err;
      return this.attempt(subject, data, left);
    }
  }

  private async attempt<S extends RpcSubject>(subject: S, data: RpcRequest<S>, timeoutMs: number): Promise<RpcReply<S>> {
    const ctx = RequestContextStore.current();
    const h = natsHeaders();
    h.set(Headers.correlationId, ctx?.correlationId ?? RequestContextStore.correlationId());
    if (ctx?.principal) h.set(Headers.principal, JSON.stringify(ctx.principal));
    injectNatsHeaders(h);
    const record = new NatsRecordBuilder(data).setHeaders(h).build();
    try {
      return await firstValueFrom(this.client.send<RpcReply<S>>(subject, record).pipe(timeout(timeoutMs)));
    } catch (err) {
      throw RemoteError.from(err, subject);
    }
  }

  /**
   * The live connection. Once connected we keep using the same nats.js connection, which buffers
   * publishes and restores subscriptions while it reconnects; asking Nest's client again during an
   * outage would return its cached "Connection lost" rejection and turn every publish into a failure.
   */
  async connection(): Promise<NatsConnection> {
    if (this.nc && !this.nc.isClosed()) return this.nc;
    await this.client.connect();
    const nc = this.client.unwrap<NatsConnection>();
    if (nc !== this.nc) this.watchReconnects(nc);
    this.nc = nc;
    return nc;
  }

  /**
   * Calls `listener` each time the connection comes back after an outage. Whatever was published
   * meanwhile is gone (NATS is at-most-once): a listener re-reads what it follows from the source of
   * truth (e.g. open job streams re-read the log) instead of waiting for its next periodic check.
   */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    void this.connection().catch(() => undefined); // the watch starts with the connection
    return () => this.reconnectListeners.delete(listener);
  }

  private watchReconnects(nc: NatsConnection): void {
    const watch = async () => {
      for await (const status of nc.status()) {
        if (status.type !== 'reconnect') continue;
        this.logger.log(`NATS connection restored; ${this.reconnectListeners.size} listener(s) catch up`);
        for (const listener of this.reconnectListeners) {
          try {
            listener();
          } catch (err) {
            this.logger.error(`reconnect listener failed: ${(err as Error).message}`);
          }
        }
      }
    };
    watch().catch((err: unknown) => this.logger.warn(`NATS status watch ended: ${(err as Error).message}`));
  }

  /** A JetStream object store bucket (created on first use, opened once per process; retried after a failure). */
  bucket(name: string): Promise<ObjectStore> {
    let store = this.buckets.get(name);
    if (!store) {
      store = this.connection().then((nc) => new Objm(nc).create(name));
      store.catch(() => this.buckets.delete(name));
      this.buckets.set(name, store);
    }
    return store;
  }

  /** Publishes `payload` on `<subject>.<id>`. Resolves once handed to the connection (NATS is at-most-once). */
  async publish<S extends EventSubject>(subject: S, id: string, payload: EventMap[S], headers?: MsgHdrs): Promise<void> {
    const h = injectNatsHeaders(headers);
    (await this.connection()).publish(subjectFor(subject, id), encode(payload), h ? { headers: h } : undefined);
  }

  /**
   * Calls `onMessage` with each well-formed message on `<subject>.<id>` (`id` `*`: every id). Resolves
   * once the server has registered the subscription (flushed), so anything published afterwards is seen.
   */
  async subscribe<S extends EventSubject>(
    subject: S,
    id: string,
    /** `headers`: the message's NATS headers (trace context, publish time), when it has any. */
    onMessage: (payload: EventMap[S], subject: string, headers?: MsgHdrs) => void,
    opts: { queue?: string } = {},
  ): Promise<Subscription> {
    const nc = await this.connection();
    const check = EventChecks[subject];
    const sub = nc.subscribe(subjectFor(subject, id), {
      queue: opts.queue,
      callback: (err, msg) => {
        if (err) return this.logger.warn(`subscription ${subject}: ${err.message}`);
        const payload = this.decode(msg, check);
        if (payload === undefined) return;
        try {
          onMessage(payload, msg.subject, msg.headers);
        } catch (e) {
          this.logger.error(`handler of ${msg.subject} failed: ${(e as Error).message}`);
        }
      },
    });
    await nc.flush();
    return sub;
  }

  /** A request to the one process listening on `<subject>.<address>`; rejects on timeout, no responder or a malformed reply. */
  async requestAt<S extends AddressedSubject>(
    subject: S,
    address: string,
    data: AddressedMap[S]['request'],
    timeoutMs: number,
  ): Promise<AddressedMap[S]['reply']> {
    const nc = await this.connection();
    const h = injectNatsHeaders();
    const msg = await nc.request(subjectFor(subject, address), encode(data), h ? { timeout: timeoutMs, headers: h } : { timeout: timeoutMs });
    const reply = this.decode(msg, AddressedChecks[subject].reply);
    if (reply === undefined) throw new Error(`malformed reply on ${msg.subject}`);
    return reply;
  }

  /**
   * Answers requests on `<subject>.<address>` with what `handle` returns. A malformed request is
   * dropped (the requester times out); a handler that throws is answered with `onError(err)`.
   */
  async serveAt<S extends AddressedSubject>(
    subject: S,
    address: string,
    handle: (request: AddressedMap[S]['request']) => AddressedMap[S]['reply'],
    onError: (err: Error) => AddressedMap[S]['reply'],
  ): Promise<Subscription> {
    const nc = await this.connection();
    const check = AddressedChecks[subject].request;
    const sub = nc.subscribe(subjectFor(subject, address), {
      callback: (err, msg) => {
        if (err) return this.logger.warn(`subscription ${subject}: ${err.message}`);
        const request = this.decode(msg, check);
        if (request === undefined) return;
        let reply: AddressedMap[S]['reply'];
        try {
          reply = handle(request);
        } catch (e) {
          reply = onError(e as Error);
        }
        msg.respond(encode(reply));
      },
    });
    await nc.flush();
    return sub;
  }

  private decode<T>(msg: Msg, check: (v: unknown) => v is T): T | undefined {
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(msg.data));
    } catch {
      value = undefined;
    }
    if (value !== undefined && check(value)) return value;
    this.logger.warn(`dropped a malformed message on ${msg.subject} (${msg.data.length} bytes)`);
    return undefined;
  }

  async isConnected(): Promise<boolean> {
    try {
      const nc = this.client.unwrap<NatsConnection>();
      return !nc.isClosed() && !nc.isDraining();
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      const nc = this.client.unwrap<NatsConnection>();
      // Drain delivers what is already in flight before closing, instead of dropping it.
      await nc.drain();
    } catch {
      /* never connected */
    }
  }
}
