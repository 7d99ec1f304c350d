import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import DataLoader from 'dataloader';
import { Repository } from 'typeorm';
import type { JobEvent, JobStatus } from '@platform/contracts';
import { mutate } from '@platform/runtime';
import { JobEntity, type JobOptions } from './job.entity';

export interface NewJob {
  id: string;
  owner: string;
  agent_type: string;
  input: string;
  options: JobOptions;
  expiry_seconds: number;
  idempotency_key: string | null;
  request_hash: string;
}

/**
 * The `jobs` rows: creates them, reads them (every read a caller can trigger is scoped to its owner and
 * hides expired jobs) and deletes expired ones (their events go by cascade).
 *
 * Who writes what in job-runner's two tables:
 * - JobStore is the only class that inserts or deletes `jobs` rows, and it owns the columns fixed at
 *   submit (id, owner, agent_type, input, options, expiry_seconds, idempotency_key, request_hash).
 * - EventLog owns `job_events` and the `jobs` columns that move with the log (status, error, report,
 *   attempt, last_seq and the timestamps those drive): each change to them appends its event in the
 *   same statement, so a job's row never disagrees with its log.
 * - One exception: `create` inserts each job's first event (seq 1, `job.status: submitted`) in the
 *   INSERT of the job itself. Submits are group-committed, one statement for tens of jobs; handing the
 *   events to EventLog would add a statement and a transaction per batch on the submit hot path
 *   (measured on temp tables, batches of 20: ~1.6 vs ~1.8–2.3 ms per batch).
 */
@Injectable()
export class JobStore {
  constructor(@InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>) {}

  /**
   * Submissions that arrive together share one statement (group commit): under load one INSERT carries
   * tens of jobs, so the submit rate is not bound by one database round trip per job.
   */
  private readonly creates = new DataLoader<NewJob, JobEvent | null>((batch) => this.insertBatch(batch), { cache: false, maxBatchSize: 200 });

  /** Inserts the job and its first `job.status: submitted` event; null when the id or idempotency key is taken. */
  create(job: NewJob): Promise<JobEvent | null> {
    return this.creates.load(job);
  }

  private async insertBatch(batch: readonly NewJob[]): Promise<(JobEvent | null | Error)[]> {
    // A job colliding with an earlier one of the same batch (same id or idempotency key) is decided
    // after it: a certain conflict when the earlier one was inserted, else in a following statement,
    // so every conflict is decided exactly as if the jobs had been submitted one by one.
    const now: NewJob[] = [];
    const later: NewJob[] = [];
    const taken = new Set<string>();
    for (const job of batch) {
      const keys = uniqueKeys(job);
      // A deferred job's keys count too: whatever it may collide with waits behind it.
      if (keys.some((k) => taken.has(k))) later.push(job);
      else now.push(job);
      keys.forEach((k) => taken.add(k));
    }
    const results = new Map<NewJob, JobEvent | null | Error>();
    const inserted = new Set<string>();
    for (const [job, result] of await this.insertOrSplit(now)) {
      results.set(job, result);
      if (result && !(result instanceof Error)) uniqueKeys(job).forEach((k) => inserted.add(k));
    }
    const retry = later.filter((job) => {
      if (!uniqueKeys(job).some((k) => inserted.has(k))) return true;
      results.set(job, null);
      return false;
    });
    if (retry.length > 0) (await this.insertBatch(retry)).forEach((r, i) => results.set(retry[i], r));
    return batch.map((job) => results.get(job) ?? null);
  }

  /**
   * The batch in one statement; if that fails (a row Postgres refuses, a deadlock with another
   * replica's batch), each job in its own statement, so one bad submission fails only itself.
   */
  private async insertOrSplit(jobs: NewJob[]): Promise<[NewJob, JobEvent | null | Error][]> {
    if (jobs.length === 0) return [];
    try {
      const created = await this.insertRows(jobs);
      return jobs.map((job) => [job, created.get(job.id) ?? null]);
    } catch (err) {
      if (jobs.length === 1) return [[jobs[0], err as Error]];
      return Promise.all(jobs.map(async (job): Promise<[NewJob, JobEvent | null | Error]> => (await this.insertOrSplit([job]))[0]));
    }
  }

  /** One INSERT of the jobs and their first events; returns the first event of each job it created. */
  private async insertRows(jobs: NewJob[]): Promise<Map<string, JobEvent>> {
    const params: unknown[] = [];
    // Rows in id order, so two replicas' batches take their index locks in the same order.
    const values = [...jobs]
      .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
      .map((job) => {
        const n = params.push(
          job.id,
          job.owner,
          job.agent_type,
          job.input,
          JSON.stringify(job.options),
          job.expiry_seconds,
          job.idempotency_key,
          job.request_hash,
        );
        const p = (k: number) => `$${n - 8 + k}`;
        return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}::jsonb, 'submitted', ${p(6)}::int, ${p(7)}, ${p(8)}, 1)`;
      });
    const rows: { job_id: string; ts: Date }[] = await this.jobs.query(
      `WITH j AS (
         INSERT INTO job_runner.jobs (id, owner, agent_type, input, options, status, expiry_seconds, idempotency_key, request_hash, last_seq)
         VALUES ${values.join(', ')}
         ON CONFLICT DO NOTHING
         RETURNING id, created_at
       )
       INSERT INTO job_runner.job_events (job_id, seq, type, ts, data)
       SELECT id, 1, 'job.status', created_at, '{"status":"submitted"}'::json FROM j
       RETURNING job_id, ts`,
      params,
    );
    return new Map(rows.map((r) => [r.job_id, { seq: 1, type: 'job.status', timestamp: new Date(r.ts).toISOString(), data: { status: 'submitted' } }]));
  }

  /**
   * A child job of `parentId` (a compound task's subtask `index`), owned and scoped like its parent, with
   * its first event. Created only while the parent is `running`: the parent's row is locked (FOR SHARE)
   * by the insert, so a cancel of the parent either comes first (no child) or finds the child when it
   * lists them. Null when the parent is not running, or the child (id or parent + index) exists already.
   */
  async createChild(parentId: string, index: number, child: Omit<NewJob, 'owner' | 'idempotency_key' | 'request_hash'>): Promise<JobEvent | null> {
    const rows: { ts: Date }[] = await this.jobs.query(
      `WITH p AS (
         SELECT owner FROM job_runner.jobs WHERE id = $1 AND status = 'running' FOR SHARE
       ), j AS (
         INSERT INTO job_runner.jobs (id, owner, agent_type, input, options, status, expiry_seconds, last_seq, parent_job_id, subtask_index)
         SELECT $3, p.owner, $4, $5, $6::jsonb, 'submitted', $7::int, 1, $1, $2::int FROM p
         ON CONFLICT DO NOTHING
         RETURNING id, created_at
       )
       INSERT INTO job_runner.job_events (job_id, seq, type, ts, data)
       SELECT id, 1, 'job.status', created_at, '{"status":"submitted"}'::json FROM j
       RETURNING ts`,
      [parentId, index, child.id, child.agent_type, child.input, JSON.stringify(child.options), child.expiry_seconds],
    );
    return rows.length ? { seq: 1, type: 'job.status', timestamp: new Date(rows[0].ts).toISOString(), data: { status: 'submitted' } } : null;
  }

  /** The child jobs of a parent, by subtask index. */
  findChildren(parentId: string): Promise<JobEntity[]> {
    return this.jobs.createQueryBuilder('j').where('j.parent_job_id = :parentId', { parentId }).orderBy('j.subtask_index', 'ASC').getMany();
  }

  /** The owner's newest top-level jobs of one agent type whose id starts with `idPrefix` (a caller's compound tasks), newest first. */
  findRecent(owner: string, agentType: string, limit: number, idPrefix = ''): Promise<JobEntity[]> {
    return this.live()
      .andWhere('j.owner = :owner AND j.agent_type = :agentType AND j.parent_job_id IS NULL AND j.id LIKE :pattern', {
        owner,
        agentType,
        pattern: `${idPrefix.replace(/[\\%_]/g, '\\$&')}%`,
      })
      .orderBy('j.created_at', 'DESC')
      .addOrderBy('j.id', 'DESC')
      .limit(limit)
      .getMany();
  }

  findOwned(id: string, owner: string): Promise<JobEntity | null> {
    return this.live().andWhere('j.id = :id AND j.owner = :owner', { id, owner }).getOne();
  }

  findById(id: string): Promise<JobEntity | null> {
    return this.live().andWhere('j.id = :id', { id }).getOne();
  }

  findByIdempotencyKey(owner: string, key: string): Promise<JobEntity | null> {
    return this.live().andWhere('j.owner = :owner AND j.idempotency_key = :key', { owner, key }).getOne();
  }

  /**
   * The owner's live jobs, newest first (`created_at DESC, id DESC`, served by the index
   * `jobs_owner_created`), optionally of one status, and how many there are in all.
   */
  async listOwned(owner: string, status: JobStatus | undefined, limit: number, offset: number): Promise<{ rows: JobEntity[]; total: number }> {
    const q = this.live().andWhere('j.owner = :owner', { owner });
    if (status) q.andWhere('j.status = :status', { status });
    const [rows, total] = await Promise.all([
      q.clone().orderBy('j.created_at', 'DESC').addOrderBy('j.id', 'DESC').limit(limit).offset(offset).getMany(),
      q.clone().getCount(),
    ]);
    return { rows, total };
  }

  /** Whether the id exists at all (any owner, expired or not): a taken id is a conflict, not a fresh job. */
  async exists(id: string): Promise<boolean> {
    return (await this.jobs.count({ where: { id } })) > 0;
  }

  /** Jobs waiting or running, by status and agent type (read from the `jobs_unfinished` partial index: cheap at any table size). */
  async countUnfinished(): Promise<{ status: string; agent_type: string; n: number }[]> {
    const rows: { status: string; agent_type: string; n: string }[] = await this.jobs.query(
      `SELECT status, agent_type, count(*) AS n FROM job_runner.jobs WHERE status IN ('submitted','running') GROUP BY status, agent_type`,
    );
    return rows.map((r) => ({ status: r.status, agent_type: r.agent_type, n: Number(r.n) }));
  }

  countActive(owner: string): Promise<number> {
    return this.jobs.createQueryBuilder('j').where("j.owner = :owner AND j.status IN ('submitted','running')", { owner }).getCount();
  }

  /** Deletes up to `limit` expired jobs (their events go with them by cascade). */
  async deleteExpired(limit: number): Promise<number> {
    const { affected } = await mutate(
      this.jobs,
      `DELETE FROM job_runner.jobs WHERE id IN (SELECT id FROM job_runner.jobs WHERE expires_at <= now() LIMIT $1)`,
      [limit],
    );
    return affected;
  }

  /** Unfinished jobs whose row has not moved for `olderThanMs`: candidates for the stuck-job check. */
  /** Submitted jobs quiet for between `olderThanMs` and `newerThanMs`, newest first (the orphan check's window; the sweeper takes the older ones). */
  findRecentlyQuietSubmits(olderThanMs: number, newerThanMs: number, limit: number): Promise<JobEntity[]> {
    return this.jobs
      .createQueryBuilder('j')
      .where(`j.status = 'submitted'`)
      .andWhere(`j.updated_at < now() - make_interval(secs => :older)`, { older: olderThanMs / 1000 })
      .andWhere(`j.updated_at >= now() - make_interval(secs => :newer)`, { newer: newerThanMs / 1000 })
      .orderBy('j.updated_at', 'DESC')
      .limit(limit)
      .getMany();
  }

  findQuiet(status: 'submitted' | 'running', olderThanMs: number, limit: number): Promise<JobEntity[]> {
    return this.jobs
      .createQueryBuilder('j')
      .where('j.status = :status', { status })
      .andWhere(`j.updated_at < now() - make_interval(secs => :secs)`, { secs: olderThanMs / 1000 })
      .orderBy('j.updated_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Ids of `submitted` jobs after `after`, in id order: the queue reconciler's pages. */
  async submittedIds(after: string, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.jobs.query(`SELECT id FROM job_runner.jobs WHERE status = 'submitted' AND id > $1 ORDER BY id LIMIT $2`, [
      after,
      limit,
    ]);
    return rows.map((r) => r.id);
  }

  private live() {
    return this.jobs.createQueryBuilder('j').where('(j.expires_at IS NULL OR j.expires_at > now())');
  }
}

/** The unique constraints a new job can collide on: its id, and its owner's idempotency key. */
function uniqueKeys(job: NewJob): string[] {
  return job.idempotency_key ? [`id:${job.id}`, `key:${job.owner}\u0000${job.idempotency_key}`] : [`id:${job.id}`];
}
