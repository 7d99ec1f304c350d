import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, NatsRecordBuilder } from '@nestjs/microservices';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { Headers, type RpcReply, type RpcRequest, type RpcSubject } from '@platform/contracts';
import { firstValueFrom, timeout } from 'rxjs';
import { RemoteError } from './remote-error';
import { RequestContextStore } from './request-context';

export const NATS_CLIENT = Symbol('NATS_CLIENT');
export const BUS_OPTIONS = Symbol('BUS_OPTIONS');
export interface BusOptions {
  requestTimeoutMs: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The service's connection to NATS. `request` is typed by the contracts' RpcMap, carries the
 * correlation id and principal as headers, always has a timeout and turns every failure into a
 * `RemoteError` with an HTTP status. `publish`/`subscribe` are the raw fire-and-forget path used for
 * live job events, where Nest's request envelope would only cost time.
 */
@Injectable()
export class Bus implements OnApplicationShutdown {
  private readonly logger = new Logger(Bus.name);
  private readonly buckets = new Map<string, Promise<ObjectStore>>();
  constructor(
    @Inject(NATS_CLIENT) private readonly client: ClientProxy,
    @Inject(BUS_OPTIONS) private readonly options: BusOptions,
  ) {}

  async request<S extends RpcSubject>(subject: S, data: RpcRequest<S>, timeoutMs = this.options.requestTimeoutMs): Promise<RpcReply<S>> {
    const ctx = RequestContextStore.current();
    const h = natsHeaders();
    h.set(Headers.correlationId, ctx?.correlationId ?? RequestContextStore.correlationId());
    if (ctx?.principal) h.set(Headers.principal, JSON.stringify(ctx.principal));
    const record = new NatsRecordBuilder(data).setHeaders(h).build();
    try {
      return await firstValueFrom(this.client.send<RpcReply<S>>(subject, record).pipe(timeout(timeoutMs)));
    } catch (err) {
      throw RemoteError.from(err, subject);
    }
  }

  async connection(): Promise<NatsConnection> {
    await this.client.connect();
    return this.client.unwrap<NatsConnection>();
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

  async publish(subject: string, payload: unknown): Promise<void> {
    (await this.connection()).publish(subject, encoder.encode(JSON.stringify(payload)));
  }

  async subscribe<T>(subject: string, onMessage: (msg: T) => void, opts: { queue?: string } = {}): Promise<Subscription> {
    const nc = await this.connection();
    return nc.subscribe(subject, {
      queue: opts.queue,
      callback: (err, msg) => {
        if (err) return this.logger.warn(`subscription ${subject}: ${err.message}`);
        try {
          onMessage(JSON.parse(decoder.decode(msg.data)) as T);
        } catch (e) {
          this.logger.warn(`bad message on ${subject}: ${(e as Error).message}`);
        }
      },
    });
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
