import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { CouncilOutcome, JobStatus } from '@platform/contracts';
import type { SessionTurn } from './strategies';

export interface CouncilRow {
  id: string;
  session_id: string | null;
  query: string;
  created_at: Date;
  outcome: CouncilOutcome | null;
  /** The job's status and error (the row is read joined with its job). */
  status: JobStatus;
  error: string | null;
}

const LIVE = `(j.expires_at IS NULL OR j.expires_at > now())`;
const COLUMNS = `c.id, c.session_id, c.query, j.created_at, c.outcome, j.status, j.error`;

/**
 * `job_runner.council_requests`: every SQL statement on it. A row is the council's side of one job (same
 * id, deleted with it); every read a caller triggers is scoped to its owner and hides expired jobs.
 */
@Injectable()
export class CouncilRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Records a new request right after its job was created; returns the job's acceptance time. The run
   * may already have stored its outcome (`saveOutcome` upserts), so an existing row is kept.
   */
  async insert(row: { id: string; owner: string; sessionId: string | null; query: string }): Promise<Date> {
    const rows: { created_at: Date }[] = await this.db.query(
      `WITH ins AS (
         INSERT INTO job_runner.council_requests (id, owner, session_id, query) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING
       ) SELECT created_at FROM job_runner.jobs WHERE id = $1`,
      [row.id, row.owner, row.sessionId, row.query],
    );
    return rows[0].created_at;
  }

  async findOwned(id: string, owner: string): Promise<CouncilRow | null> {
    const rows: CouncilRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM job_runner.council_requests c JOIN job_runner.jobs j ON j.id = c.id WHERE c.id = $1 AND c.owner = $2 AND ${LIVE}`,
      [id, owner],
    );
    return rows[0] ?? null;
  }

  /** The owner's requests, newest first, and how many there are. */
  async list(owner: string, limit: number, offset: number): Promise<{ rows: CouncilRow[]; total: number }> {
    const [rows, count] = await Promise.all([
      this.db.query(
        `SELECT ${COLUMNS} FROM job_runner.council_requests c JOIN job_runner.jobs j ON j.id = c.id
         WHERE c.owner = $1 AND ${LIVE} ORDER BY j.created_at DESC, c.id DESC LIMIT $2 OFFSET $3`,
        [owner, limit, offset],
      ) as Promise<CouncilRow[]>,
      this.db.query(`SELECT count(*)::int AS n FROM job_runner.council_requests c JOIN job_runner.jobs j ON j.id = c.id WHERE c.owner = $1 AND ${LIVE}`, [
        owner,
      ]) as Promise<{ n: number }[]>,
    ]);
    return { rows, total: count[0]?.n ?? 0 };
  }

  /** When the request was accepted (its job's creation): the start of its latency. */
  async acceptedAt(id: string): Promise<Date | null> {
    const rows: { created_at: Date }[] = await this.db.query(`SELECT created_at FROM job_runner.jobs WHERE id = $1`, [id]);
    return rows[0]?.created_at ?? null;
  }

  /** The same owner's earlier requests in this session (oldest first, the last `limit`), with their decisions. */
  async session(owner: string, sessionId: string, before: { id: string; createdAt: Date }, limit = 20): Promise<SessionTurn[]> {
    const rows: { query: string; decision: string | null }[] = await this.db.query(
      `SELECT query, decision FROM (
         SELECT c.query, c.outcome->>'consensusDecision' AS decision, j.created_at, c.id
         FROM job_runner.council_requests c JOIN job_runner.jobs j ON j.id = c.id
         WHERE c.owner = $1 AND c.session_id = $2 AND c.id <> $3 AND j.created_at <= $4 AND ${LIVE}
         ORDER BY j.created_at DESC, c.id DESC LIMIT $5
       ) t ORDER BY created_at, id`,
      [owner, sessionId, before.id, before.createdAt, limit],
    );
    return rows;
  }

  /** Stores how the run ended (inserting the row if the submit has not yet: the job may run first). */
  async saveOutcome(row: { id: string; owner: string; sessionId: string | null; query: string }, outcome: CouncilOutcome): Promise<void> {
    await this.db.query(
      `INSERT INTO job_runner.council_requests (id, owner, session_id, query, outcome) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET outcome = EXCLUDED.outcome`,
      [row.id, row.owner, row.sessionId, row.query, JSON.stringify(outcome)],
    );
  }
}
