import type { AgentView } from '@platform/contracts';
import type { CoordinatorConfig } from '../config';
import type { Candidate } from '../tasks/placement';
import type { AgentEntity } from './agent.entity';
import { capacityOf, healthScore } from './health';

/** An agent row with the number of tasks assigned to it and not finished (least-connections' count). */
export type AgentRow = AgentEntity & { active_tasks: number };

/** How long an agent may stay silent (interval × tolerance) before it gets no tasks and the sweeper marks it stale. */
export const heartbeatLimitSecs = (config: CoordinatorConfig): number =>
  (config.COORDINATOR_HEARTBEAT_INTERVAL_MS * config.COORDINATOR_HEARTBEAT_TOLERANCE) / 1000;

/** An agent can be handed tasks when it has an HTTP endpoint or is a platform worker on NATS. */
export const isDeliverable = (endpoints: Record<string, string> | null | undefined): boolean => Boolean(endpoints?.http || endpoints?.nats);

export function agentHealth(r: AgentRow, now: Date, config: CoordinatorConfig): number {
  return healthScore({
    status: r.status,
    lastHeartbeat: new Date(r.last_heartbeat),
    now,
    heartbeatIntervalMs: config.COORDINATOR_HEARTBEAT_INTERVAL_MS,
    heartbeatTolerance: config.COORDINATOR_HEARTBEAT_TOLERANCE,
    loadMetrics: r.load_metrics ?? {},
    activeTasks: Number(r.active_tasks),
    capacity: capacityOf(r.metadata),
    failureRate: Number(r.failure_rate),
  });
}

export function toAgentView(r: AgentRow, now: Date, config: CoordinatorConfig): AgentView {
  return {
    agent_id: r.agent_id,
    agent_type: r.agent_type,
    status: r.status,
    capabilities: r.capabilities,
    services: r.services,
    endpoints: r.endpoints,
    metadata: r.metadata,
    last_heartbeat: new Date(r.last_heartbeat).toISOString(),
    registration_time: new Date(r.registration_time).toISOString(),
    load_metrics: r.load_metrics,
    health_score: agentHealth(r, now, config),
    version: r.version,
    tags: r.tags,
    active_tasks: Number(r.active_tasks),
  };
}

/** The placement view of a live agent (see `canTake` in tasks/placement.ts). */
export function candidateOf(r: AgentRow, now: Date, config: CoordinatorConfig): Candidate {
  return {
    agent_id: r.agent_id,
    owner: r.owner,
    shared: r.shared,
    agent_type: r.agent_type,
    status: r.status,
    capabilities: r.capabilities,
    deliverable: isDeliverable(r.endpoints),
    active_tasks: Number(r.active_tasks),
    capacity: capacityOf(r.metadata),
    health_score: agentHealth(r, now, config),
  };
}
