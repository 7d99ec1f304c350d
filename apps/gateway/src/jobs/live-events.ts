import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { Subjects, type JobEvent } from '@platform/contracts';
import { Bus } from '@platform/runtime';

/** A stream waiting for a job's live events (an object, not a closure: one less allocation per stream). */
export interface LiveListener {
  deliver(event: JobEvent): void;
}

interface Topic {
  listeners: Set<LiveListener>;
  /** Resolves once the server has registered the subscription. */
  subscription: Promise<Subscription>;
}

/**
 * Live events per job, shared by every stream of that job on this gateway: one NATS subscription and
 * one JSON parse per event, however many clients watch.
 */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private readonly topics = new Map<string, Topic>();

  constructor(private readonly bus: Bus) {}

  /**
   * Resolves once the subscription is registered at the server (flush), so anything published after
   * this returns is delivered — the replay that follows covers everything before.
   */
  async listen(jobId: string, listener: LiveListener): Promise<() => void> {
    let topic = this.topics.get(jobId);
    if (!topic) {
      const listeners = new Set<LiveListener>();
      // job-runner publishes a write batch as one message (an array), a single event as an object.
      const subscription = this.bus.subscribe(Subjects.jobs.live, jobId, (payload) => {
        for (const event of Array.isArray(payload) ? payload : [payload]) for (const l of listeners) l.deliver(event);
      });
      const created: Topic = { listeners, subscription };
      this.topics.set(jobId, created);
      // A failed subscribe must not leave a dead topic behind for the next stream of this job.
      subscription.catch(() => {
        if (this.topics.get(jobId) === created) this.topics.delete(jobId);
      });
      topic = created;
    }
    topic.listeners.add(listener);
    try {
      await topic.subscription;
    } catch (err) {
      topic.listeners.delete(listener);
      throw err;
    }
    const t = topic;
    return () => {
      t.listeners.delete(listener);
      if (t.listeners.size === 0 && this.topics.get(jobId) === t) {
        this.topics.delete(jobId);
        void t.subscription.then((sub) => sub.unsubscribe()).catch(() => undefined);
      }
    };
  }

  get topicCount(): number {
    return this.topics.size;
  }

  onApplicationShutdown(): void {
    for (const t of this.topics.values()) void t.subscription.then((sub) => sub.unsubscribe()).catch(() => undefined);
    this.topics.clear();
  }
}
