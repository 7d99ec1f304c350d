import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  Subjects,
  subjectFor,
  ErrorCode,
  ownerOf,
  type AgentStatus,
  type AgentView,
  type DeregisterAgentReply,
  type DiscoverAgentsDto,
  type DiscoverAgentsReply,
  type GetAgentReply,
  type HeartbeatCommand,
  type HeartbeatReply,
  type Principal,
  type RegisterAgentDto,
  type RegisterAgentReply,
  type UpdateAgentStatusCommand,
  type UpdateAgentStatusReply,
} from '@platform/contracts';
import { rpcError } from '@platform/runtime';
import { CoordinatorConfig } from '../config';
import { Dispatcher } from '../tasks/dispatcher';
import { TaskLifecycle } from '../tasks/task-lifecycle';
import { rowsOf } from '../db';
import { AGENT_COLUMNS, toAgentView, type AgentRow } from './agent-row';

/** Agents registered by platform services (job-runner workers) take tasks of every owner. */
export const isServicePrincipal = (p: Principal): boolean => p.type === 'service';

/**
 * The registry: who is there, what it can do, how loaded and healthy it is. Every agent has an owner;
 * another caller sees it only when it is a shared (platform) agent and can never change it.
 */
@Injectable()
export class AgentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CoordinatorConfig) private readonly config: CoordinatorConfig,
    private readonly dispatcher: Dispatcher,
    private readonly lifecycle: TaskLifecycle,
  ) {}

  async register(dto: RegisterAgentDto, principal: Principal): Promise<RegisterAgentReply> {
    const owner = ownerOf(principal);
    const endpoints = dto.endpoints ?? {};
    const deliverySubject = subjectFor(Subjects.coordinator.deliver, dto.agent_id);
    if (endpoints.nats !== undefined && endpoints.nats !== deliverySubject) {
      throw rpcError(ErrorCode.INVALID_REQUEST, `endpoints.nats must be ${deliverySubject}`);
    }
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
        dto.agent_id,
        owner,
        isServicePrincipal(principal),
        dto.agent_type,
        dto.status ?? 'active',
        dto.capabilities ?? [],
        dto.services ?? [],
        JSON.stringify(endpoints),
        JSON.stringify(dto.metadata ?? {}),
        JSON.stringify(dto.load_metrics ?? {}),
        dto.version ?? String((dto.metadata as { version?: unknown } | undefined)?.version ?? ''),
        dto.tags ?? [],
      ],
    );
    if (rows.length === 0) throw rpcError(ErrorCode.CONFLICT, `Agent ${dto.agent_id} is registered by another owner`);
    this.dispatcher.kick();
    return {
      status: 'success',
      message: `Agent ${dto.agent_id} registered successfully`,
      agent_id: dto.agent_id,
      registered_at: new Date(rows[0].registration_time).toISOString(),
    };
  }

  async discover(q: DiscoverAgentsDto, principal: Principal): Promise<DiscoverAgentsReply> {
    const where = ['(a.owner = $1 OR a.shared)'];
    const params: unknown[] = [ownerOf(principal)];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (q.status) add('a.status = ?', q.status);
    if (q.agent_type) add('a.agent_type = ?', q.agent_type);
    if (q.capabilities?.length) add('a.capabilities @> ?::text[]', q.capabilities);
    if (q.services?.length) add('a.services @> ?::text[]', q.services);
    const rows: AgentRow[] = await this.db.query(
      `SELECT ${AGENT_COLUMNS} FROM coordinator.agents a WHERE ${where.join(' AND ')} ORDER BY a.registration_time, a.agent_id LIMIT 1000`,
      params,
    );
    const now = new Date();
    const agents = rows.map((r) => this.view(r, now));
    const query: Record<string, unknown> = {};
    for (const k of ['status', 'agent_type', 'capabilities', 'services'] as const) if (q[k] !== undefined) query[k] = q[k];
    return {
      status: 'success',
      query,
      agents,
      count: agents.length,
      timestamp: now.toISOString(),
    };
  }

  async get(agentId: string, principal: Principal): Promise<GetAgentReply> {
    const row = await this.find(agentId);
    if (!row || (row.owner !== ownerOf(principal) && !row.shared)) throw notFound();
    const now = new Date();
    return {
      status: 'success',
      agent: this.view(row, now),
      timestamp: now.toISOString(),
    };
  }

  async updateStatus(cmd: UpdateAgentStatusCommand, principal: Principal): Promise<UpdateAgentStatusReply> {
    const rows = rowsOf<{ status: AgentStatus; updated_at: Date }>(
      await this.db.query(
        `UPDATE coordinator.agents SET status = $3::text, load_metrics = COALESCE($4::jsonb, load_metrics), updated_at = now(),
              last_heartbeat = CASE WHEN $3::text = 'stale' THEN last_heartbeat ELSE now() END
       WHERE agent_id = $1 AND owner = $2 RETURNING status, updated_at`,
        [cmd.agent_id, ownerOf(principal), cmd.status, cmd.load_metrics ? JSON.stringify(cmd.load_metrics) : null],
      ),
    );
    if (rows.length === 0) throw notFound();
    if (cmd.status === 'active') this.dispatcher.kick();
    return {
      status: 'success',
      message: `Agent ${cmd.agent_id} status updated`,
      agent_id: cmd.agent_id,
      new_status: rows[0].status,
      updated_at: new Date(rows[0].updated_at).toISOString(),
    };
  }

  async heartbeat(cmd: HeartbeatCommand, principal: Principal): Promise<HeartbeatReply> {
    const rows = rowsOf<{ status: AgentStatus; was: AgentStatus }>(
      await this.db.query(
        `UPDATE coordinator.agents a SET last_heartbeat = now(), updated_at = now(),
              load_metrics = COALESCE($4::jsonb, a.load_metrics),
              status = COALESCE($3, CASE WHEN a.status = 'stale' THEN 'active' ELSE a.status END)
       FROM (SELECT agent_id, status AS was FROM coordinator.agents WHERE agent_id = $1 FOR UPDATE) old
       WHERE a.agent_id = old.agent_id AND a.owner = $2
       RETURNING a.status, old.was`,
        [cmd.agent_id, ownerOf(principal), cmd.status ?? null, cmd.load_metrics ? JSON.stringify(cmd.load_metrics) : null],
      ),
    );
    if (rows.length === 0) throw notFound();
    if (rows[0].status === 'active' && rows[0].was !== 'active') this.dispatcher.kick();
    const row = (await this.find(cmd.agent_id))!;
    const now = new Date();
    return {
      status: 'success',
      message: `Heartbeat received from ${cmd.agent_id}`,
      agent_id: cmd.agent_id,
      agent_status: row.status,
      health_score: this.view(row, now).health_score,
      heartbeat_interval_ms: this.config.COORDINATOR_HEARTBEAT_INTERVAL_MS,
      timestamp: now.toISOString(),
    };
  }

  /** Removes the agent; the tasks it still held go back to their queues (or fail when out of attempts). */
  async deregister(agentId: string, principal: Principal): Promise<DeregisterAgentReply> {
    const rows = rowsOf(
      await this.db.query(`DELETE FROM coordinator.agents WHERE agent_id = $1 AND owner = $2 RETURNING agent_id`, [agentId, ownerOf(principal)]),
    );
    if (rows.length === 0) throw notFound();
    const requeued = await this.lifecycle.releaseAgentTasks(agentId, `agent ${agentId} deregistered`);
    this.dispatcher.kick();
    return {
      status: 'success',
      message: `Agent ${agentId} deregistered`,
      agent_id: agentId,
      requeued_tasks: requeued,
      timestamp: new Date().toISOString(),
    };
  }

  private async find(agentId: string): Promise<AgentRow | null> {
    const rows: AgentRow[] = await this.db.query(`SELECT ${AGENT_COLUMNS} FROM coordinator.agents a WHERE a.agent_id = $1`, [agentId]);
    return rows[0] ?? null;
  }

  view(r: AgentRow, now: Date): AgentView {
    return toAgentView(r, now, this.config);
  }
}

const notFound = () => rpcError(ErrorCode.NOT_FOUND, 'Agent not found');
