import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Subjects, type JobEvent, type JobStatus, type NewJobEvent } from '@platform/contracts';
import { Bus } from '@platform/runtime';

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
 */
@Injectable()
export class EventLog {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bus: Bus,
  ) {}

  /** A batching writer for one run of one job. */
  writer(jobId: string, attempt: number, onFenced?: () => void): JobEventWriter {
    return new JobEventWriter(this, jobId, attempt, onFenced);
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
    const first = Math.min(...rows.map((r) => Number(r.seq)));
    const written = events.map((e, i) => toJobEvent(first + i, e));
    await this.publish(jobId, written);
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
    await this.publish(t.jobId, [event]);
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

  /** One NATS message per write batch (an array; a lone event goes as an object), split to stay well under max_payload. */
  private async publish(jobId: string, events: JobEvent[]): Promise<void> {
    const subject = Subjects.jobs.live;
    if (events.length === 1) return this.bus.publish(subject, jobId, events[0]);
    let chunk: JobEvent[] = [];
    let bytes = 0;
    for (const e of events) {
      const size = Buffer.byteLength(JSON.stringify(e.data)) + 128;
      if (chunk.length > 0 && bytes + size > PUBLISH_BYTES) {
        await this.bus.publish(subject, jobId, chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(e);
      bytes += size;
    }
    if (chunk.length > 0) await this.bus.publish(subject, jobId, chunk.length === 1 ? chunk[0] : chunk);
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

/**
 * Appends a run's events in order. Appends made while a write is in flight are sent together in the
 * next one, so a token stream costs one round trip per burst rather than per token, and a caller's
 * promise resolves only once its event is durable (and published).
 */
export class JobEventWriter {
  private buffer: PendingEvent[] = [];
  private scheduled = false;
  private tail: Promise<unknown> = Promise.resolve();
  private fenced = false;

  constructor(
    private readonly log: EventLog,
    readonly jobId: string,
    readonly attempt: number,
    private readonly onFenced?: () => void,
  ) {}

  append(event: NewJobEvent): Promise<void> {
    if (this.fenced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const p: PendingEvent = { type: event.type, timestamp: new Date().toISOString(), data: boundedData(event.data), resolve, reject };
      if (event.metadata) p.metadata = event.metadata;
      this.buffer.push(p);
      this.schedule();
    });
  }

  /** Runs a status change after everything appended before it. */
  transition(t: Omit<Transition, 'jobId' | 'attempt'>): Promise<TransitionResult | null> {
    const run = this.tail.then(() => this.log.transition({ ...t, jobId: this.jobId, attempt: this.attempt }));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves when every append so far is durable (or dropped). */
  async flush(): Promise<void> {
    await this.tail;
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
      const written = await this.log.insert(this.jobId, this.attempt, batch);
      if (written.length === 0 && !this.fenced) {
        // The job was cancelled, finished or taken over by a newer attempt: stop this run.
        this.fenced = true;
        this.onFenced?.();
      }
      batch.forEach((p) => p.resolve());
    } catch (err) {
      batch.forEach((p) => p.reject(err));
    }
  }
}
