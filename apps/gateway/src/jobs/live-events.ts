import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { MsgHdrs, Subscription } from '@nats-io/transport-node';
import { Subjects, type JobEvent } from '@platform/contracts';
import { Bus, extractNatsHeaders, LATENCY_BUCKETS, linkTo, Metrics, PUBLISHED_AT_HEADER, SpanKind, tracer, tracingEnabled } from '@platform/runtime';

/** A stream waiting for a job's live events (an object, not a closure: one less allocation per stream). */
export interface LiveListener {
  deliver(event: JobEvent): void;
}

interface Topic {
  listeners: Set<LiveListener>;
  /** Resolves once the server has registered the subscription. */
  subscription: Promise<Subscription>;
}

/** Live events cannot be listened to now (NATS unreachable): the stream request is a 503, at once. */
export class LiveEventsUnavailable extends Error {
  override name = 'LiveEventsUnavailable';
}

/** A subscription not registered within this is given up: NATS does not answer. */
export const LISTEN_TIMEOUT_MS = 2000;

/**
 * Live events per job, shared by every stream of that job on this gateway: one NATS subscription and
 * one JSON parse per event, however many clients watch.
 */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private readonly topics = new Map<string, Topic>();
  /** NATS connection state, from the connection's status events (a stream asked while it is down fails at once). */
  private natsDown = false;
  private watching = false;

  private readonly lag?: ReturnType<Metrics['histogram']>;

  constructor(
    private readonly bus: Bus,
    @Optional() @Inject(Metrics) metrics?: Metrics,
  ) {
    this.lag = metrics?.histogram({
      name: 'gateway_live_fanout_lag_seconds',
      help: "Live fan-out lag: from an event batch made durable and published by job-runner to its last write to this gateway's client sockets",
      buckets: LATENCY_BUCKETS,
    });
  }

  /** Hands a live message to every stream of its job; measures the lag and, with tracing, a delivery span linked to the job's trace. */
  private fanOut(listeners: Set<LiveListener>, payload: JobEvent | JobEvent[], headers: MsgHdrs | undefined): void {
    const span = tracingEnabled()
      ? tracer().startSpan('jobs.live deliver', {
          kind: SpanKind.CONSUMER,
          links: linkTo(extractNatsHeaders(headers)),
          attributes: { 'messaging.system': 'nats', 'messaging.operation.type': 'process', 'sse.streams': listeners.size },
        })
      : undefined;
    for (const event of Array.isArray(payload) ? payload : [payload]) for (const l of listeners) l.deliver(event);
    span?.end();
    const publishedAt = this.lag && headers?.get(PUBLISHED_AT_HEADER);
    if (publishedAt && listeners.size > 0) this.lag!.observe(Math.max(0, Date.now() - Number(publishedAt)) / 1000);
  }

  /**
   * Resolves once the subscription is registered at the server (flush), so anything published after
   * this returns is delivered — the replay that follows covers everything before. Rejects with
   * LiveEventsUnavailable at once while NATS is known to be down, or after LISTEN_TIMEOUT_MS.
   */
  async listen(jobId: string, listener: LiveListener): Promise<() => void> {
    this.watchConnection();
    if (this.natsDown) throw new LiveEventsUnavailable('NATS is unreachable');
    let topic = this.topics.get(jobId);
    if (!topic) {
      const listeners = new Set<LiveListener>();
      // job-runner publishes a write batch as one message (an array), a single event as an object.
      const subscription = this.bus.subscribe(Subjects.jobs.live, jobId, (payload, _subject, headers) => this.fanOut(listeners, payload, headers));
      const created: Topic = { listeners, subscription };
      this.topics.set(jobId, created);
      // A failed subscribe must not leave a dead topic behind for the next stream of this job.
      subscription.catch(() => {
        if (this.topics.get(jobId) === created) this.topics.delete(jobId);
      });
      topic = created;
    }
    topic.listeners.add(listener);
    const t = topic;
    const stop = () => {
      t.listeners.delete(listener);
      if (t.listeners.size === 0 && this.topics.get(jobId) === t) {
        this.topics.delete(jobId);
        void t.subscription.then((sub) => sub.unsubscribe()).catch(() => undefined);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        t.subscription,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new LiveEventsUnavailable(`NATS did not register a subscription within ${LISTEN_TIMEOUT_MS} ms`)), LISTEN_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      stop();
      throw err instanceof LiveEventsUnavailable ? err : new LiveEventsUnavailable(`NATS: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    return stop;
  }

  /** Follows the connection's status events from the first stream on (the connection exists by then). */
  private watchConnection(): void {
    if (this.watching) return;
    this.watching = true;
    void (async () => {
      try {
        const nc = await this.bus.connection();
        for await (const s of nc.status()) {
          if (s.type === 'disconnect' || s.type === 'reconnecting' || s.type === 'staleConnection') this.natsDown = true;
          else if (s.type === 'reconnect') this.natsDown = false;
        }
      } catch {
        /* not connected yet: the next stream tries again */
      }
      this.watching = false;
      this.natsDown = false;
    })();
  }

  get topicCount(): number {
    return this.topics.size;
  }

  onApplicationShutdown(): void {
    for (const t of this.topics.values()) void t.subscription.then((sub) => sub.unsubscribe()).catch(() => undefined);
    this.topics.clear();
  }
}
