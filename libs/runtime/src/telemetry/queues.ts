import type { Metrics } from './metrics';

const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** What `bull_queue_jobs` reads of a Bull queue (`Queue.getJobCounts`). */
export interface CountableQueue {
  readonly name: string;
  getJobCounts(): Promise<Partial<Record<(typeof STATES)[number], number>>>;
}

const watched = new WeakMap<Metrics, CountableQueue[]>();

/**
 * `bull_queue_jobs{queue,state}` (waiting, active, delayed, failed) for `queue`, read from Redis at
 * scrape time. A queue Redis cannot answer for is left out of that scrape rather than failing it.
 */
export function watchQueue(metrics: Metrics, queue: CountableQueue): void {
  let queues = watched.get(metrics);
  if (!queues) {
    const list: CountableQueue[] = [];
    queues = list;
    watched.set(metrics, list);
    metrics.gauge({
      name: 'bull_queue_jobs',
      help: 'Bull queue entries by queue and state (waiting, active, delayed, failed), read at scrape time',
      labelNames: ['queue', 'state'],
      async collect() {
        this.reset();
        await Promise.all(
          list.map(async (q) => {
            const counts = await Promise.race([q.getJobCounts(), new Promise<null>((r) => setTimeout(() => r(null), 1000).unref())]).catch(() => null);
            if (counts) for (const state of STATES) this.set({ queue: q.name, state }, counts[state] ?? 0);
          }),
        );
      },
    });
  }
  if (!queues.includes(queue)) queues.push(queue);
}
