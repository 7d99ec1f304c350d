import { TASK_PRIORITIES, type TaskPriority } from '@platform/contracts';

/** 0 = urgent … 4 = low: the queue order is (rank, seq). */
export function priorityRank(p: TaskPriority): number {
  return TASK_PRIORITIES.indexOf(p);
}

export interface Requirements {
  capabilities?: string[];
  agent_type?: string;
}

export interface PendingTask {
  task_id: string;
  owner: string;
  priority_rank: number;
  seq: number;
  requirements: Requirements;
  tried_agents: string[];
}

export interface Candidate {
  agent_id: string;
  owner: string;
  shared: boolean;
  agent_type: string;
  status: string;
  capabilities: string[];
  /** Has a way to receive tasks (endpoints.http or endpoints.nats). */
  deliverable: boolean;
  active_tasks: number;
  capacity: number | null;
  health_score: number;
}

/** Strict priority, FIFO within one. */
export function compareTasks(a: Pick<PendingTask, 'priority_rank' | 'seq'>, b: Pick<PendingTask, 'priority_rank' | 'seq'>): number {
  return a.priority_rank - b.priority_rank || a.seq - b.seq;
}

/**
 * Whether `agent` may take `task` now: active, reachable, visible to the task's owner, matching, with room.
 * `agent` is one of the live agents (heard from within interval × tolerance: AgentRepository.live).
 * The claim query says the same in SQL (TaskRepository, AGENT_MAY_TAKE_TASK) minus capacity; both are
 * tested against the cases in placement.cases.ts.
 */
export function canTake(agent: Candidate, task: Pick<PendingTask, 'owner' | 'requirements'>): boolean {
  if (agent.status !== 'active' || !agent.deliverable) return false;
  if (!agent.shared && agent.owner !== task.owner) return false;
  const req = task.requirements ?? {};
  if (req.agent_type && agent.agent_type !== req.agent_type) return false;
  if (req.capabilities?.some((c) => !agent.capabilities.includes(c))) return false;
  if (agent.capacity !== null && agent.active_tasks >= agent.capacity) return false;
  return true;
}

/** Least connections: fewest active tasks, then the higher health score, then agent id (deterministic). */
export function compareAgents(a: Candidate, b: Candidate): number {
  return a.active_tasks - b.active_tasks || b.health_score - a.health_score || (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0);
}

/** The agent for one task; agents that already failed it are passed over while another can take it. */
export function pickAgent(task: PendingTask, agents: Candidate[]): Candidate | null {
  let best: Candidate | null = null;
  let bestUntried: Candidate | null = null;
  for (const a of agents) {
    if (!canTake(a, task)) continue;
    if (!best || compareAgents(a, best) < 0) best = a;
    if (!task.tried_agents.includes(a.agent_id) && (!bestUntried || compareAgents(a, bestUntried) < 0)) bestUntried = a;
  }
  return bestUntried ?? best;
}

/**
 * Places `tasks` in queue order. Each placement counts against the chosen agent at once, so one round
 * spreads a burst across agents instead of piling it on the one that was idle. Tasks nobody can take
 * are left out (they keep waiting).
 */
export function planAssignments<T extends PendingTask>(tasks: T[], agents: Candidate[]): { task: T; agent: Candidate }[] {
  const pool = agents.map((a) => ({ ...a }));
  const plan: { task: T; agent: Candidate }[] = [];
  for (const task of [...tasks].sort(compareTasks)) {
    const agent = pickAgent(task, pool);
    if (!agent) continue;
    agent.active_tasks += 1;
    plan.push({ task, agent });
  }
  return plan;
}
