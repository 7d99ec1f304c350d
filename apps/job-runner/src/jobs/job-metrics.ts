import { Inject, Injectable, Logger } from '@nestjs/common';
import { DURATION_BUCKETS, Metrics, watchQueue } from '@platform/runtime';
import { JobQueue } from './job-queue';
import { JobStore } from './job.store';

/**
 * The job-runner's metrics (docs/operations.md). Counters and histograms are updated where things
 * happen; the gauges read Postgres and Redis only when Prometheus scrapes (collect callbacks).
 * Every replica reports the same store gauges: aggregate them with `max`, not `sum`.
 */
@Injectable()
export class JobMetrics {
  private readonly logger = new Logger(JobMetrics.name);
  readonly queueWait;
  readonly runSeconds;
  readonly firstEvent;
  readonly finished;
  readonly crashRetries;
  readonly sweeper;
  readonly eventsAppended;
  readonly appendBatch;

  constructor(@Inject(Metrics) metrics: Metrics, store: JobStore, queue: JobQueue) {
    const logger = this.logger;
    metrics.gauge({
      name: 'jobs',
      help: 'Unfinished jobs in the store by status (submitted, running) and agent type, read at scrape time',
      labelNames: ['status', 'agent_type'],
      async collect() {
        try {
          const rows = await store.countUnfinished();
          this.reset();
          for (const r of rows) this.set({ status: r.status, agent_type: r.agent_type }, r.n);
        } catch (err) {
          logger.warn(`jobs gauge not read: ${(err as Error).message}`);
        }
      },
    });
    watchQueue(metrics, queue.queue);
    this.queueWait = metrics.histogram({
      name: 'job_queue_wait_seconds',
      help: "From a job's submit to the start of its first run",
      labelNames: ['agent_type'],
      buckets: DURATION_BUCKETS,
    });
    this.runSeconds = metrics.histogram({
      name: 'job_run_duration_seconds',
      help: 'One run of an agent, by agent type and outcome (success, failure, cancelled, handed_back)',
      labelNames: ['agent_type', 'outcome'],
      buckets: DURATION_BUCKETS,
    });
    this.firstEvent = metrics.histogram({
      name: 'job_first_event_seconds',
      help: "From a job's submit to its agent's first event being durable",
      labelNames: ['agent_type'],
      buckets: DURATION_BUCKETS,
    });
    this.finished = metrics.counter({
      name: 'jobs_finished_total',
      help: 'Runs that ended the job, by agent type and final status (success, failure)',
      labelNames: ['agent_type', 'status'],
    });
    this.crashRetries = metrics.counter({
      name: 'job_crash_retries_total',
      help: 'Runs that resumed a job whose earlier run was lost with its replica (not hand-backs)',
      labelNames: ['agent_type'],
    });
    this.sweeper = metrics.counter({
      name: 'job_sweeper_actions_total',
      help: 'What the sweeper did: deleted (expired jobs), requeued (jobs the queue lost), failed (jobs lost too often)',
      labelNames: ['action'],
    });
    this.eventsAppended = metrics.counter({ name: 'job_events_appended_total', help: 'Job events made durable in the event log' });
    this.appendBatch = metrics.histogram({
      name: 'job_event_append_batch_size',
      help: 'Events per append statement (the writer batches what an agent emits while the previous write is in flight)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    });
  }
}
