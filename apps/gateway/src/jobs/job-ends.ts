import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { isTerminal, Subjects, type JobEvent, type JobStatus } from '@platform/contracts';
import { Bus, RequestContextStore } from '@platform/runtime';
import { GatewayConfig } from '../config';
import { LiveEvents, type LiveListener } from './live-events';

/** How a job ended, as its terminal `job.status` event says. */
export interface JobEnd {
  status: JobStatus;
  error: string | null;
}

/** `shutdown`: this gateway is stopping; the job goes on. */
export type WaitResult = JobEnd | 'timeout' | 'aborted' | 'shutdown';

/** One caller waiting for one job's end. */
export interface JobEndWatch {
  /** Resolves when the job ends, `timeoutMs` passes, `signal` aborts or the gateway stops — whichever comes first. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<WaitResult>;
  /** Stops listening (always call it, in a `finally`). */
  stop(): void;
}

const endOf = (e: JobEvent): JobEnd | null =>
  e.type === 'job.status' && typeof e.data.status === 'string' && isTerminal(e.data.status as JobStatus)
    ? { status: e.data.status as JobStatus, error: typeof e.data.error === 'string' ? e.data.error : null }
    : null;

class EndListener implements LiveListener {
  end?: JobEnd;
  onEnd?: (end: JobEnd) => void;

  deliver(e: JobEvent): void {
    const end = endOf(e);
    if (!end || this.end) return;
    this.end = end;
    this.onEnd?.(end);
  }
}

/**
 * Waits for a job's end on the same live subscription the SSE streams use (one per job per gateway,
 * `LiveEvents`), so a caller blocked on a run is woken by the event itself, whichever runner ran the
 * job and whichever gateway took the call. Start watching before submitting and nothing can be missed
 * but a lost NATS message (at-most-once): for that, a watch re-reads the job's status when NATS
 * reconnects and once per SSE_KEEPALIVE_MS, as an idle stream re-reads the log.
 */
@Injectable()
export class JobEnds implements BeforeApplicationShutdown {
  /** Waits in progress, told to stop when the gateway does (they would hold the HTTP server open). */
  private readonly waiting = new Set<(result: WaitResult) => void>();

  constructor(
    private readonly bus: Bus,
    private readonly live: LiveEvents,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  /** Resolves once the subscription is registered: a job submitted afterwards cannot end unseen. */
  async watch(jobId: string): Promise<JobEndWatch> {
    const ctx = RequestContextStore.current() ?? { correlationId: RequestContextStore.correlationId() };
    const listener = new EndListener();
    const stop = await this.live.listen(jobId, listener);
    const recheck = async (): Promise<void> => {
      const job = await RequestContextStore.run(ctx, () => this.bus.request(Subjects.jobs.get, { job_id: jobId }));
      if (isTerminal(job.status)) listener.deliver({ seq: 0, type: 'job.status', timestamp: job.updated_at, data: { status: job.status, error: job.error } });
    };
    const wait = (timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> => {
      if (listener.end) return Promise.resolve(listener.end);
      if (signal?.aborted) return Promise.resolve('aborted');
      return new Promise<WaitResult>((resolve) => {
        const done = (result: WaitResult) => {
          clearTimeout(timer);
          clearInterval(safety);
          unwatch();
          signal?.removeEventListener('abort', onAbort);
          listener.onEnd = undefined;
          this.waiting.delete(done);
          resolve(result);
        };
        this.waiting.add(done);
        const onAbort = () => done('aborted');
        const timer = setTimeout(() => done('timeout'), timeoutMs);
        const safety = setInterval(() => void recheck().catch(() => undefined), this.config.SSE_KEEPALIVE_MS);
        // An end published while NATS was away is lost: check at once when it comes back.
        const unwatch = this.bus.onReconnect(() => void recheck().catch(() => undefined));
        listener.onEnd = done;
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    };
    return { wait, stop };
  }

  /** The gateway is stopping: every waiting call is answered `shutdown` (the job goes on). */
  endAll(): void {
    for (const done of [...this.waiting]) done('shutdown');
  }

  beforeApplicationShutdown(): void {
    this.endAll();
  }
}
