import { Injectable, Logger, Optional } from '@nestjs/common';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Subjects, type JobEvent, type JobStatus, type NewJobEvent } from '@platform/contracts';
import { Bus, isDependencyUnavailable, PUBLISHED_AT_HEADER } from '@platform/runtime';
import { JobMetrics } from './job-metrics';

/** One event's `data` may not exceed this many bytes of JSON; bigger payloads are truncated so a page always fits a NATS message. */
export const MAX_EVENT_BYTES = 256 * 1024;
const MAX_BATCH = 500;
/** Live messages stay well under NATS's default 1 MB max_payload. */
const PUBLISH_BYTES = 512 * 1024;

export interface Transition {
  jobId: string;
  to: JobStatus;
  from: readonly JobStatus[];
  /** Only the run holding this attempt may make the change (fences off a zombie run). */
  attempt?: number;
  /** Starting a run: bumps the attempt counter. */
  newAttempt?: boolean;
  error?: string | null;
  report?: string | null;
}

export interface TransitionResult {
  event: JobEvent;
  attempt: number;
}

/** Where a job's log stands: what a writer checks before retrying a write whose outcome it does not know. */
export interface LogPosition {
  status: JobStatus;
  attempt: number;
  last_seq: number;
}

export interface WriterOptions {
  /** The job was cancelled, finished or taken over by a newer attempt: the run should stop. */
  onFenced?: () => void;
  /** A write still failed because a dependency is unavailable after `retryMs` of retries: the run should be handed back. */
  onUnavailable?: (err: Error) => void;
  /**
   * The job's last seq when the run claimed it. Given, the writer is the attempt's only writer and a
   * retried write first checks whether the failed try committed after all, so nothing is logged twice.
   */
  lastSeq?: number;
  /** How long a write is retried while a dependency is unavailable (0: not retried). */
  retryMs?: number;
  /** The first time a write of this run is being retried. */
  onRetrying?: (err: Error) => void;
}

/**
 * The append-only, per-job event log. Sequence numbers come from a counter on the job row, bumped in
 * the same statement that inserts the events: the row lock serialises writers of one job, so seq
 * order is commit order and a reader that has seen N never later finds a smaller unseen one. Each
 * event is published on the job's NATS subject only after its insert committed.
 *
 * Owns the writes to `job_events`, and to the `jobs` columns that move with the log: status, error,
 * report, attempt, last_seq, updated_at, started_at, finished_at, expires_at. A status is a
 * `job.status` event, so `transition` changes both in one statement. It never inserts or deletes a
 * `jobs` row: JobStore does, and JobStore.create writes each job's first event itself (see JobStore).
 *
 * The live copy is best-effort (NATS is at-most-once; the log plus the gateway's gap refill make
 * streams exact): a write that committed is reported as written even when its publish failed.
 */
@Injectable()
export class EventLog {
  private readonly logger = new Logger(EventLog.name);
  private publishFailures = 0;
  private publishWarnedAt = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bus: Bus,
    @Optional() private readonly metrics?: JobMetrics,
  ) {}

  /** A batching writer for one run of one job. */
  writer(jobId: string, attempt: number, opts: WriterOptions = {}): JobEventWriter {
    return new JobEventWriter(this, jobId, attempt, opts);
  }

  /** The job's status, attempt and last seq; null when it is gone. */
  async position(jobId: string): Promise<LogPosition | null> {
    const rows: { status: JobStatus; attempt: number; last_seq: string }[] = await this.db.query(
      `SELECT status, attempt, last_seq FROM job_runner.jobs WHERE id = $1`,
      [jobId],
    );
    return rows.length ? { status: rows[0].status, attempt: rows[0].attempt, last_seq: Number(rows[0].last_seq) } : null;
  }

  /** Inserts a batch as the next seqs of a running job. Returns [] when the job is no longer this attempt's to write. */
  async insert(jobId: string, attempt: number, events: { type: string; timestamp: string; data: unknown; metadata?: unknown }[]): Promise<JobEvent[]> {
    const rows: { seq: string }[] = await this.db.query(
      `WITH j AS (
         UPDATE job_runner.jobs SET last_seq = last_seq + $3, updated_at = now()
         WHERE id = $1 AND attempt = $2 AND status = 'running'
         RETURNING last_seq
       )
       INSERT INTO job_runner.job_events (job_id, seq, type, ts, data, metadata)
       SELECT $1, j.last_seq - $3 + e.ord, e.v->>'type', (e.v->>'timestamp')::timestamptz, e.v->'data', e.v->'metadata'
       FROM j, json_array_elements($4::json) WITH ORDINALITY AS e(v, ord)
       RETURNING seq`,
      [jobId, attempt, events.length, JSON.stringify(events)],
    );
    if (rows.length === 0) return [];
    this.metrics?.eventsAppended.inc(rows.length);
    this.metrics?.appendBatch.observe(rows.length);
    const first = Math.min(...rows.map((r) => Number(r.seq)));
    const written = events.map((e, i) => toJobEvent(first + i, e));
    await this.publishQuietly(jobId, written);
    return written;
  }

  /** Changes a job's status and logs the `job.status` event atomically; null when `from` did not hold. */
  async transition(t: Transition): Promise<TransitionResult | null> {
    const data: Record<string, unknown> = { status: t.to };
    if (t.error) data.error = t.error;
    const rows: { seq: string; ts: Date; data: Record<string, unknown>; attempt: number }[] = await this.db.query(
      `WITH j AS (
         UPDATE job_runner.jobs SET
           status = $2::text,
           error = $3::text,
           report = COALESCE($4::text, report),
           last_seq = last_seq + 1,
           attempt = attempt + $5::int,
           updated_at = now(),
           started_at = CASE WHEN $2::text = 'running' THEN now() ELSE started_at END,
           finished_at = CASE WHEN $2::text IN ('success','failure','interrupted') THEN now() ELSE NULL END,
           expires_at = CASE WHEN $2::text IN ('success','failure','interrupted') THEN now() + make_interval(secs => expiry_seconds) ELSE NULL END
         WHERE id = $1 AND status = ANY($6::text[]) AND ($7::int IS NULL OR attempt = $7)
         RETURNING last_seq, attempt
       )
       INSERT INTO job_runner.job_events (job_id, seq, type, ts, data)
       SELECT $1, j.last_seq, 'job.status', now(),
              ($8::jsonb || CASE WHEN $2::text = 'running' THEN jsonb_build_object('attempt', j.attempt, 'retried', j.attempt > 1) ELSE '{}'::jsonb END)::json
       FROM j
       RETURNING seq, ts, data, (SELECT attempt FROM j) AS attempt`,
      [t.jobId, t.to, t.error ?? null, t.report ?? null, t.newAttempt ? 1 : 0, [...t.from], t.attempt ?? null, JSON.stringify(data)],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    const event: JobEvent = { seq: Number(row.seq), type: 'job.status', timestamp: new Date(row.ts).toISOString(), data: row.data };
    await this.publishQuietly(t.jobId, [event]);
    return { event, attempt: row.attempt };
  }

  /** Events with seq > after, in order. */
  async read(jobId: string, after: number, limit: number): Promise<JobEvent[]> {
    const rows: { seq: string; type: string; ts: Date; data: Record<string, unknown>; metadata: Record<string, unknown> | null }[] = await this.db.query(
      `SELECT seq, type, ts, data, metadata FROM job_runner.job_events WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [jobId, after, limit],
    );
    return rows.map((r) => {
      const e: JobEvent = { seq: Number(r.seq), type: r.type as JobEvent['type'], timestamp: new Date(r.ts).toISOString(), data: r.data };
      if (r.metadata) e.metadata = r.metadata;
      return e;
    });
  }

  /** Publishes committed events; a failure is logged (at most every 10 s, with a count), never thrown at the writer. */
  private async publishQuietly(jobId: string, events: JobEvent[]): Promise<void> {
    try {
      await this.publish(jobId, events);
    } catch (err) {
      this.publishFailures++;
      if (Date.now() - this.publishWarnedAt >= 10_000) {
        this.logger.warn(`live publish failed ${this.publishFailures}× (clients refill from the log): ${(err as Error)?.message ?? err}`);
        this.publishWarnedAt = Date.now();
        this.publishFailures = 0;
      }
    }
  }

  /** One NATS message per write batch (an array; a lone event goes as an object), split to stay well under max_payload. */
  private async publish(jobId: string, events: JobEvent[]): Promise<void> {
    const subject = Subjects.jobs.live;
    // When the batch became durable, for the gateways' fan-out lag (gateway_live_fanout_lag_seconds).
    const h = natsHeaders();
    h.set(PUBLISHED_AT_HEADER, String(Date.now()));
    if (events.length === 1) return this.bus.publish(subject, jobId, events[0], h);
    let chunk: JobEvent[] = [];
    let bytes = 0;
    for (const e of events) {
      const size = Buffer.byteLength(JSON.stringify(e.data)) + 128;
      if (chunk.length > 0 && bytes + size > PUBLISH_BYTES) {
        await this.bus.publish(subject, jobId, chunk, h);
        chunk = [];
        bytes = 0;
      }
      chunk.push(e);
      bytes += size;
    }
    if (chunk.length > 0) await this.bus.publish(subject, jobId, chunk.length === 1 ? chunk[0] : chunk, h);
  }
}

function toJobEvent(seq: number, e: { type: string; timestamp: string; data: unknown; metadata?: unknown }): JobEvent {
  const out: JobEvent = { seq, type: e.type as JobEvent['type'], timestamp: e.timestamp, data: e.data as Record<string, unknown> };
  if (e.metadata) out.metadata = e.metadata as Record<string, unknown>;
  return out;
}

/** Keeps one oversized payload from blocking replay pages; the log records that it was cut. */
export function boundedData(data: Record<string, unknown>): Record<string, unknown> {
  const json = JSON.stringify(data);
  if (Buffer.byteLength(json) <= MAX_EVENT_BYTES) return data;
  return { truncated: true, original_bytes: Buffer.byteLength(json), preview: json.slice(0, MAX_EVENT_BYTES / 2) };
}

interface PendingEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Appends a run's events in order. Appends made while a write is in flight are sent together in the
 * next one, so a token stream costs one round trip per burst rather than per token, and a caller's
 * promise resolves only once its event is durable (and published).
 *
 * A write that fails because Postgres is unavailable is retried (backoff up to 2 s) for `retryMs`;
 * the run keeps appending meanwhile and loses nothing. Past that, the write's appends reject and
 * `onUnavailable` tells the run to hand its job back. Any other failure rejects at once. After
 * `abandon()` (the run was aborted) nothing more is written.
 */
export class JobEventWriter {
  private buffer: PendingEvent[] = [];
  private scheduled = false;
  private tail: Promise<unknown> = Promise.resolve();
  private fenced = false;
  private abandoned = false;
  private lastSeq?: number;
  private unavailableError?: Error;
  private retried = false;

  constructor(
    private readonly log: EventLog,
    readonly jobId: string,
    readonly attempt: number,
    private readonly opts: WriterOptions = {},
  ) {
    this.lastSeq = opts.lastSeq;
  }

  /** The dependency failure that outlasted the retries, if one did: the run's job must be handed back. */
  get unavailable(): Error | undefined {
    return this.unavailableError;
  }

  append(event: NewJobEvent): Promise<void> {
    if (this.fenced || this.abandoned) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const p: PendingEvent = { type: event.type, timestamp: new Date().toISOString(), data: boundedData(event.data), resolve, reject };
      if (event.metadata) p.metadata = event.metadata;
      this.buffer.push(p);
      this.schedule();
    });
  }

  /** Runs a status change after everything appended before it; null when it did not apply (or the writer was abandoned). */
  transition(t: Omit<Transition, 'jobId' | 'attempt'>): Promise<TransitionResult | null> {
    const run = this.tail.then(async () => {
      if (this.abandoned) return null;
      // A retried status change that had committed finds `from` no longer holding and answers null: applied once.
      const result = await this.retrying(() => this.log.transition({ ...t, jobId: this.jobId, attempt: this.attempt }));
      if (result) this.lastSeq = result.event.seq;
      return result;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves when every append so far is durable (or dropped). */
  async flush(): Promise<void> {
    await this.tail;
  }

  /** The run was aborted: drop what is buffered (its appends resolve) and write nothing more; a write in flight finishes. */
  abandon(): void {
    this.abandoned = true;
    for (const p of this.buffer.splice(0)) p.resolve();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.tail = this.tail.then(() => this.writeBuffer());
  }

  private async writeBuffer(): Promise<void> {
    this.scheduled = false;
    const batch = this.buffer.splice(0, MAX_BATCH);
    if (this.buffer.length > 0) this.schedule();
    if (batch.length === 0) return;
    try {
      let tried = false;
      const written = await this.retrying(async () => {
        const retry = tried;
        tried = true;
        return this.insertOnce(batch, retry);
      });
      if (written === 0 && !this.fenced) {
        // The job was cancelled, finished or taken over by a newer attempt: stop this run.
        this.fenced = true;
        this.opts.onFenced?.();
      }
      batch.forEach((p) => p.resolve());
    } catch (err) {
      if (this.abandoned) batch.forEach((p) => p.resolve());
      else batch.forEach((p) => p.reject(err));
    }
  }

  /** One insert; a retry first checks whether the failed try committed after all. Returns how many events are in the log (0: fenced). */
  private async insertOnce(batch: PendingEvent[], retry: boolean): Promise<number> {
    if (retry && this.lastSeq !== undefined) {
      const at = await this.log.position(this.jobId);
      if (!at || at.attempt !== this.attempt || at.status !== 'running') return 0;
      if (at.last_seq === this.lastSeq + batch.length) {
        // It did commit (only its reply was lost); its live copy was not published, which the gap refill covers.
        this.lastSeq = at.last_seq;
        return batch.length;
      }
    }
    const written = await this.log.insert(this.jobId, this.attempt, batch);
    if (written.length > 0) this.lastSeq = written[written.length - 1].seq;
    return written.length;
  }

  /** Calls `write` until it succeeds, retrying while Postgres is unavailable for up to `retryMs`. */
  private async retrying<T>(write: () => Promise<T>): Promise<T> {
    const retryMs = this.opts.retryMs ?? 0;
    const giveUpAt = Date.now() + retryMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        return await write();
      } catch (err) {
        if (this.abandoned || !isDependencyUnavailable(err)) throw err;
        if (Date.now() + delay > giveUpAt) {
          if (!this.unavailableError) {
            this.unavailableError = err as Error;
            this.opts.onUnavailable?.(err as Error);
          }
          throw err;
        }
        if (!this.retried) {
          this.retried = true;
          this.opts.onRetrying?.(err as Error);
        }
        await sleep(delay);
        if (this.abandoned) throw err;
      }
    }
  }
}
