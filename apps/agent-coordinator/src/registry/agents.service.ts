import { Inject, Injectable } from '@nestjs/common';
import {
  Subjects,
  subjectFor,
  ErrorCode,
  ownerOf,
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
import { toAgentView, type AgentRow } from './agent-row';
import { AgentRepository } from './agent.repository';

/** Agents registered by platform services (job-runner workers) take tasks of every owner. */
export const isServicePrincipal = (p: Principal): boolean => p.type === 'service';

/**
 * The registry: who is there, what it can do, how loaded and healthy it is. Every agent has an owner;
 * another caller sees it only when it is a shared (platform) agent and can never change it.
 */
@Injectable()
export class AgentsService {
  constructor(
    private readonly agents: AgentRepository,
    @Inject(CoordinatorConfig) private readonly config: CoordinatorConfig,
    private readonly dispatcher: Dispatcher,
    private readonly lifecycle: TaskLifecycle,
  ) {}

  async register(dto: RegisterAgentDto, principal: Principal): Promise<RegisterAgentReply> {
    const endpoints = dto.endpoints ?? {};
    const deliverySubject = subjectFor(Subjects.coordinator.deliver, dto.agent_id);
    if (endpoints.nats !== undefined && endpoints.nats !== deliverySubject) {
      throw rpcError(ErrorCode.INVALID_REQUEST, `endpoints.nats must be ${deliverySubject}`);
    }
    const registered = await this.agents.upsert({
      agent_id: dto.agent_id,
      owner: ownerOf(principal),
      shared: isServicePrincipal(principal),
      agent_type: dto.agent_type,
      status: dto.status ?? 'active',
      capabilities: dto.capabilities ?? [],
      services: dto.services ?? [],
      endpoints,
      metadata: dto.metadata ?? {},
      load_metrics: dto.load_metrics ?? {},
      version: dto.version ?? String((dto.metadata as { version?: unknown } | undefined)?.version ?? ''),
      tags: dto.tags ?? [],
    });
    if (!registered) throw rpcError(ErrorCode.CONFLICT, `Agent ${dto.agent_id} is registered by another owner`);
    this.dispatcher.kick();
    return {
      status: 'success',
      message: `Agent ${dto.agent_id} registered successfully`,
      agent_id: dto.agent_id,
      registered_at: new Date(registered.registration_time).toISOString(),
    };
  }

  async discover(q: DiscoverAgentsDto, principal: Principal): Promise<DiscoverAgentsReply> {
    const rows = await this.agents.discover(ownerOf(principal), q);
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
    const row = await this.agents.find(agentId);
    if (!row || (row.owner !== ownerOf(principal) && !row.shared)) throw notFound();
    const now = new Date();
    return {
      status: 'success',
      agent: this.view(row, now),
      timestamp: now.toISOString(),
    };
  }

  async updateStatus(cmd: UpdateAgentStatusCommand, principal: Principal): Promise<UpdateAgentStatusReply> {
    const updated = await this.agents.setStatus(cmd.agent_id, ownerOf(principal), cmd.status, cmd.load_metrics);
    if (!updated) throw notFound();
    if (cmd.status === 'active') this.dispatcher.kick();
    return {
      status: 'success',
      message: `Agent ${cmd.agent_id} status updated`,
      agent_id: cmd.agent_id,
      new_status: updated.status,
      updated_at: new Date(updated.updated_at).toISOString(),
    };
  }

  async heartbeat(cmd: HeartbeatCommand, principal: Principal): Promise<HeartbeatReply> {
    const beat = await this.agents.heartbeat(cmd.agent_id, ownerOf(principal), cmd.status, cmd.load_metrics);
    if (!beat) throw notFound();
    if (beat.status === 'active' && beat.was !== 'active') this.dispatcher.kick();
    const row = (await this.agents.find(cmd.agent_id))!;
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
    if (!(await this.agents.delete(agentId, ownerOf(principal)))) throw notFound();
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

  view(r: AgentRow, now: Date): AgentView {
    return toAgentView(r, now, this.config);
  }
}

const notFound = () => rpcError(ErrorCode.NOT_FOUND, 'Agent not found');
