import type { AgentStatus } from '@platform/contracts';
import type { Requirements } from './placement';

/**
 * "Which agent may take this task", as one table of cases. The rule exists twice: `canTake`
 * (placement.ts, over the live agents AgentRepository.live reads) and the SQL of the claim
 * (TaskRepository.claimQueued). placement.spec.ts runs `canTake` over these cases;
 * test/integration/coordinator/placement.test.ts runs both SQL paths on Postgres over the same ones.
 * A case added here is checked by both. Test data only (excluded from the app build).
 */

/** An agent as the registry holds it, reduced to what decides whether it may take a task. */
export interface CaseAgent {
  owner: string;
  shared: boolean;
  agent_type: string;
  status: AgentStatus;
  capabilities: string[];
  endpoints: Record<string, string>;
  /** Tasks assigned to it and not finished. */
  active_tasks: number;
  /** `metadata.max_concurrent_tasks`. */
  max_concurrent_tasks?: number;
  /** Last heartbeat within interval × tolerance. */
  heard_recently: boolean;
}

export interface PlacementCase {
  name: string;
  agent: CaseAgent;
  task: { owner: string; requirements: Requirements };
  /** Whether the agent may take the task now. */
  mayTake: boolean;
  /**
   * Whether the claim query takes the task into a round. The same as `mayTake` except for capacity:
   * the claim leaves it to the planner, which counts each placement of the round against it.
   */
  claimed: boolean;
}

const agent: CaseAgent = {
  owner: 'jwt:alice',
  shared: false,
  agent_type: 'worker',
  status: 'active',
  capabilities: ['a', 'b'],
  endpoints: { http: 'http://agent.invalid/tasks' },
  active_tasks: 0,
  heard_recently: true,
};

const when = (name: string, over: Partial<CaseAgent>, requirements: Requirements, mayTake: boolean, taskOwner = 'jwt:alice'): PlacementCase => ({
  name,
  agent: { ...agent, ...over },
  task: { owner: taskOwner, requirements },
  mayTake,
  claimed: mayTake,
});

export const PLACEMENT_CASES: PlacementCase[] = [
  when('an active, reachable agent of the owner takes a task without requirements', {}, {}, true),
  when('it has the required capability', {}, { capabilities: ['a'] }, true),
  when('it has every required capability', {}, { capabilities: ['a', 'b'] }, true),
  when('it lacks one required capability', {}, { capabilities: ['a', 'c'] }, false),
  when('it is of the required agent_type', {}, { agent_type: 'worker' }, true),
  when('it is of another agent_type', {}, { agent_type: 'provider' }, false),
  when('type and capabilities both match', {}, { agent_type: 'worker', capabilities: ['b'] }, true),
  when('it is inactive', { status: 'inactive' }, {}, false),
  when('it is busy', { status: 'busy' }, {}, false),
  when('it is stale', { status: 'stale' }, {}, false),
  when('it has no endpoint to deliver to', { endpoints: {} }, {}, false),
  when('a platform worker reachable on NATS only', { endpoints: { nats: 'coordinator.deliver.worker' } }, {}, true),
  when("another owner's agent is not shared", { owner: 'jwt:alice' }, {}, false, 'jwt:bob'),
  when('a shared (platform) agent serves every owner', { owner: 'service:job-runner', shared: true }, {}, true, 'jwt:bob'),
  when('its heartbeat is older than interval × tolerance', { heard_recently: false }, {}, false),
  when('it has room below max_concurrent_tasks', { max_concurrent_tasks: 2, active_tasks: 1 }, {}, true),
  { ...when('it is at max_concurrent_tasks', { max_concurrent_tasks: 2, active_tasks: 2 }, {}, false), claimed: true },
  when('without max_concurrent_tasks any number of active tasks is fine', { active_tasks: 12 }, {}, true),
];
