import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AgentStatus } from '@platform/contracts';
import { mutate } from '@platform/runtime';
import type { AgentRow } from './agent-row';
import type { AgentEntity } from './agent.entity';
import { FAILURE_WEIGHT } from './health';

/** Every column of an agent, and the tasks assigned to it and not finished (least-connections' count). */
const AGENT_COLUMNS = `a.agent_id, a.owner, a.shared, a.agent_type, a.status, a.capabilities, a.services, a.endpoints, a.metadata,
  a.load_metrics, a.version, a.tags, a.failure_rate, a.last_heartbeat, a.registration_time, a.updated_at,
  (SELECT count(*)::int FROM coordinator.tasks t WHERE t.status = 'assigned' AND t.agent_id = a.agent_id) AS active_tasks`;

/** An agent as its owner registers it: every column but the ones the repository sets (times, failure rate). */
export type NewAgent = Pick<
  AgentEntity,
  'agent_id' | 'owner' | 'shared' | 'agent_type' | 'status' | 'capabilities' | 'services' | 'endpoints' | 'metadata' | 'load_metrics' | 'version' | 'tags'
>;

export interface AgentFilter {
  status?: AgentStatus;
  agent_type?: string;
  /** All of these (the agent may have more). */
  capabilities?: string[];
  services?: string[];
}

/** An optional jsonb parameter: null keeps the column as it is (COALESCE). */
const jsonOrNull = (v: object | undefined) => (v ? JSON.stringify(v) : null);

/**
 * The only writer of `coordinator.agents`. Reads that a caller can trigger are scoped to the owner
 * (its own agents, plus shared ones where the caller may see them); the dispatcher and the sweeper read
 * across owners.
 */
@Injectable()
export class AgentRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Registers an agent, or registers it again (everything reset, failure rate to 0) when the same owner
   * already has that id. Null when the id belongs to another owner.
   */
  async upsert(a: NewAgent): Promise<{ registration_time: Date } | null> {
    const rows: { registration_time: Date }[] = await this.db.query(
      `INSERT INTO coordinator.agents AS a (agent_id, owner, shared, agent_type, status, capabilities, services, endpoints, metadata,
                                            load_metrics, version, tags, failure_rate, last_heartbeat, registration_time, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, now(), now(), now())
       ON CONFLICT (agent_id) DO UPDATE SET
         shared = EXCLUDED.shared, agent_type = EXCLUDED.agent_type, status = EXCLUDED.status, capabilities = EXCLUDED.capabilities,
         services = EXCLUDED.services, endpoints = EXCLUDED.endpoints, metadata = EXCLUDED.metadata, load_metrics = EXCLUDED.load_metrics,
         version = EXCLUDED.version, tags = EXCLUDED.tags, failure_rate = 0, last_heartbeat = now(), registration_time = now(), updated_at = now()
       WHERE a.owner = EXCLUDED.owner
       RETURNING registration_time`,
      [
        a.agent_id,
        a.owner,
        a.shared,
        a.agent_type,
        a.status,
        a.capabilities,
        a.services,
        JSON.stringify(a.endpoints),
        JSON.stringify(a.metadata),
        JSON.stringify(a.load_metrics),
        a.version,
        a.tags,
      ],
    );
    return rows[0] ?? null;
  }

  /** Any owner's agent: the caller decides who may see it. */
  /** Registered agents by status and type, for the agents gauge. */
  async countByStatus(): Promise<{ status: string; agent_type: string; n: number }[]> {
    const rows: { status: string; agent_type: string; n: number }[] = await this.db.query(
      `SELECT status, agent_type, count(*)::int AS n FROM coordinator.agents GROUP BY status, agent_type`,
    );
    return rows.map((r) => ({ status: r.status, agent_type: r.agent_type, n: Number(r.n) }));
  }

  async find(agentId: string): Promise<AgentRow | null> {
    const rows: AgentRow[] = await this.db.query(`SELECT ${AGENT_COLUMNS} FROM coordinator.agents a WHERE a.agent_id = $1`, [agentId]);
    return rows[0] ?? null;
  }

  /** The agents `owner` can see (its own and shared ones) that match `filter`, oldest registration first, at most 1000. */
  discover(owner: string, filter: AgentFilter): Promise<AgentRow[]> {
    const where = ['(a.owner = $1 OR a.shared)'];
    const params: unknown[] = [owner];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.status) add('a.status = ?', filter.status);
    if (filter.agent_type) add('a.agent_type = ?', filter.agent_type);
    if (filter.capabilities?.length) add('a.capabilities @> ?::text[]', filter.capabilities);
    if (filter.services?.length) add('a.services @> ?::text[]', filter.services);
    return this.db.query(
      `SELECT ${AGENT_COLUMNS} FROM coordinator.agents a WHERE ${where.join(' AND ')} ORDER BY a.registration_time, a.agent_id LIMIT 1000`,
      params,
    );
  }

  /** The active agents that serve `owner`: its own and shared ones. */
  activeFor(owner: string): Promise<AgentRow[]> {
    return this.db.query(`SELECT ${AGENT_COLUMNS} FROM coordinator.agents a WHERE (a.owner = $1 OR a.shared) AND a.status = 'active'`, [owner]);
  }

  /** Agents that can be handed tasks now, any owner: active, with a heartbeat in the last `heartbeatLimitSecs`. */
  live(tx: EntityManager, heartbeatLimitSecs: number): Promise<AgentRow[]> {
    return tx.query(`SELECT ${AGENT_COLUMNS} FROM coordinator.agents a WHERE a.status = 'active' AND a.last_heartbeat > now() - make_interval(secs => $1)`, [
      heartbeatLimitSecs,
    ]);
  }

  /**
   * The owner sets its agent's status (and optionally its load). Setting any status but `stale` counts as
   * a sign of life. Null when `owner` has no such agent.
   */
  async setStatus(
    agentId: string,
    owner: string,
    status: AgentStatus,
    loadMetrics: Record<string, number> | undefined,
  ): Promise<{ status: AgentStatus; updated_at: Date } | null> {
    const { rows } = await mutate<{ status: AgentStatus; updated_at: Date }>(
      this.db,
      `UPDATE coordinator.agents SET status = $3::text, load_metrics = COALESCE($4::jsonb, load_metrics), updated_at = now(),
              last_heartbeat = CASE WHEN $3::text = 'stale' THEN last_heartbeat ELSE now() END
       WHERE agent_id = $1 AND owner = $2 RETURNING status, updated_at`,
      [agentId, owner, status, jsonOrNull(loadMetrics)],
    );
    return rows[0] ?? null;
  }

  /**
   * A heartbeat from the owner: refreshes the agent, takes the reported status (a `stale` agent without
   * one comes back `active`) and load. Answers the status before and after; null when `owner` has no such agent.
   */
  async heartbeat(
    agentId: string,
    owner: string,
    status: AgentStatus | undefined,
    loadMetrics: Record<string, number> | undefined,
  ): Promise<{ status: AgentStatus; was: AgentStatus } | null> {
    const { rows } = await mutate<{ status: AgentStatus; was: AgentStatus }>(
      this.db,
      `UPDATE coordinator.agents a SET last_heartbeat = now(), updated_at = now(),
              load_metrics = COALESCE($4::jsonb, a.load_metrics),
              status = COALESCE($3, CASE WHEN a.status = 'stale' THEN 'active' ELSE a.status END)
       FROM (SELECT agent_id, status AS was FROM coordinator.agents WHERE agent_id = $1 FOR UPDATE) old
       WHERE a.agent_id = old.agent_id AND a.owner = $2
       RETURNING a.status, old.was`,
      [agentId, owner, status ?? null, jsonOrNull(loadMetrics)],
    );
    return rows[0] ?? null;
  }

  /** Removes the owner's agent; false when it has none by that id. */
  async delete(agentId: string, owner: string): Promise<boolean> {
    const { affected } = await mutate(this.db, `DELETE FROM coordinator.agents WHERE agent_id = $1 AND owner = $2`, [agentId, owner]);
    return affected > 0;
  }

  /** Marks `stale` every active or busy agent silent for longer than `heartbeatLimitSecs`; returns their ids. */
  async markStale(heartbeatLimitSecs: number): Promise<string[]> {
    const { rows } = await mutate<{ agent_id: string }>(
      this.db,
      `UPDATE coordinator.agents SET status = 'stale', updated_at = now()
       WHERE status IN ('active','busy') AND last_heartbeat < now() - make_interval(secs => $1) RETURNING agent_id`,
      [heartbeatLimitSecs],
    );
    return rows.map((r) => r.agent_id);
  }

  /**
   * One attempt on this agent ended: its failure rate moves towards 1 (failed) or 0 (succeeded), and an
   * agent that could not be reached at all is marked `stale` until its next heartbeat. Runs in the
   * caller's transaction (TaskLifecycle.finish) so the task, its assignment and the agent change together.
   */
  async recordOutcome(tx: EntityManager, agentId: string, outcome: { failed: boolean; unreachable: boolean }): Promise<void> {
    await tx.query(
      `UPDATE coordinator.agents SET failure_rate = failure_rate * $2 + $3,
              status = CASE WHEN $4 AND status IN ('active','busy') THEN 'stale' ELSE status END, updated_at = now()
       WHERE agent_id = $1`,
      [agentId, 1 - FAILURE_WEIGHT, outcome.failed ? FAILURE_WEIGHT : 0, outcome.unreachable],
    );
  }
}
