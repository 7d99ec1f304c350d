import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { jobEventsSubject, type JobEvent } from '@platform/contracts';
import { Bus } from '@platform/runtime';

/** A stream waiting for a job's live events (an object, not a closure: one less allocation per stream). */
export interface LiveListener {
  deliver(event: JobEvent): void;
}

interface Topic {
  listeners: Set<LiveListener>;
  subscription: Subscription;
  ready: Promise<void>;
}

const decoder = new TextDecoder();

/**
 * Live events per job, shared by every stream of that job on this gateway: one NATS subscription and
 * one JSON parse per event, however many clients watch.
 */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private readonly logger = new Logger(LiveEvents.name);
  private readonly topics = new Map<string, Topic>();

  constructor(private readonly bus: Bus) {}

  /**
   * Resolves once the subscription is registered at the server (flush), so anything published after
   * this returns is delivered — the replay that follows covers everything before.
   */
  async listen(jobId: string, listener: LiveListener): Promise<() => void> {
    let topic = this.topics.get(jobId);
    if (!topic) {
      const nc = await this.bus.connection();
      const listeners = new Set<LiveListener>();
      const subscription = nc.subscribe(jobEventsSubject(jobId), {
        callback: (err, msg) => {
          if (err) return this.logger.warn(`live ${jobId}: ${err.message}`);
          let payload: JobEvent | JobEvent[];
          try {
            payload = JSON.parse(decoder.decode(msg.data)) as JobEvent | JobEvent[];
          } catch {
            return;
          }
          // job-runner publishes a write batch as one message (an array), a single event as an object.
          for (const event of Array.isArray(payload) ? payload : [payload]) for (const l of listeners) l.deliver(event);
        },
      });
      topic = { listeners, subscription, ready: nc.flush() };
      this.topics.set(jobId, topic);
    }
    topic.listeners.add(listener);
    await topic.ready;
    const t = topic;
    return () => {
      t.listeners.delete(listener);
      if (t.listeners.size === 0 && this.topics.get(jobId) === t) {
        this.topics.delete(jobId);
        t.subscription.unsubscribe();
      }
    };
  }

  get topicCount(): number {
    return this.topics.size;
  }

  onApplicationShutdown(): void {
    for (const t of this.topics.values()) t.subscription.unsubscribe();
    this.topics.clear();
  }
}
