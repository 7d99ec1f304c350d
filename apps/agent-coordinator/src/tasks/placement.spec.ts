import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { CoordinatorConfig } from '../config';
import { candidateOf, type AgentRow } from '../registry/agent-row';
import { PLACEMENT_CASES, type CaseAgent } from './placement.cases';
import { canTake, compareTasks, pickAgent, planAssignments, priorityRank, type Candidate, type PendingTask } from './placement';

const agent = (id: string, over: Partial<Candidate> = {}): Candidate => ({
  agent_id: id,
  owner: 'anonymous',
  shared: false,
  agent_type: 'worker',
  status: 'active',
  capabilities: ['a', 'b'],
  deliverable: true,
  active_tasks: 0,
  capacity: null,
  health_score: 1,
  ...over,
});
let seq = 0;
const task = (priority: Parameters<typeof priorityRank>[0], over: Partial<PendingTask> = {}): PendingTask => ({
  task_id: `t${++seq}`,
  owner: 'anonymous',
  priority_rank: priorityRank(priority),
  seq,
  requirements: {},
  tried_agents: [],
  ...over,
});

describe('queue order', () => {
  it('ranks urgent > critical > high > normal > low', () => {
    expect(['low', 'urgent', 'normal', 'critical', 'high'].map((p) => priorityRank(p as 'low')).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(priorityRank('urgent')).toBeLessThan(priorityRank('critical'));
    expect(priorityRank('critical')).toBeLessThan(priorityRank('high'));
    expect(priorityRank('high')).toBeLessThan(priorityRank('normal'));
    expect(priorityRank('normal')).toBeLessThan(priorityRank('low'));
  });

  it('sorts strictly by priority, FIFO within one', () => {
    const tasks = [task('low'), task('normal'), task('urgent'), task('normal'), task('critical'), task('urgent'), task('high')];
    const order = [...tasks].sort(compareTasks).map((t) => `${t.priority_rank}:${t.seq}`);
    const expected = [...tasks]
      .map((t) => ({ r: t.priority_rank, s: t.seq }))
      .sort((a, b) => a.r - b.r || a.s - b.s)
      .map((t) => `${t.r}:${t.s}`);
    expect(order).toEqual(expected);
    expect(order[0].startsWith('0:')).toBe(true);
    expect(order[order.length - 1].startsWith('4:')).toBe(true);
  });

  it('plans a capacity-limited agent for the most urgent task first', () => {
    const low = task('low');
    const urgent = task('urgent');
    const normal = task('normal');
    const plan = planAssignments([low, normal, urgent], [agent('only', { capacity: 1 })]);
    expect(plan.map((p) => p.task.task_id)).toEqual([urgent.task_id]);
  });
});

describe('eligibility: canTake over the cases of placement.cases.ts', () => {
  const config = new CoordinatorConfig();
  const now = new Date();
  const rowOf = (a: CaseAgent): AgentRow => ({
    agent_id: 'x',
    owner: a.owner,
    shared: a.shared,
    agent_type: a.agent_type,
    status: a.status,
    capabilities: a.capabilities,
    services: [],
    endpoints: a.endpoints,
    metadata: a.max_concurrent_tasks === undefined ? {} : { max_concurrent_tasks: a.max_concurrent_tasks },
    load_metrics: {},
    version: '',
    tags: [],
    failure_rate: 0,
    last_heartbeat: now,
    registration_time: now,
    updated_at: now,
    active_tasks: a.active_tasks,
  });
  // An agent not heard from recently never reaches canTake: AgentRepository.live leaves it out
  // (test/integration/coordinator/placement.test.ts runs that query over every case).
  const cases = PLACEMENT_CASES.filter((c) => c.agent.heard_recently).map((c) => [c.name, c] as const);

  it.each(cases)('%s', (_name, c) => {
    expect(canTake(candidateOf(rowOf(c.agent), now, config), c.task)).toBe(c.mayTake);
  });
});

describe('least-connections placement', () => {
  it('picks the agent with the fewest active tasks', () => {
    const picked = pickAgent(task('normal'), [agent('busy', { active_tasks: 3 }), agent('idle', { active_tasks: 0 }), agent('mid', { active_tasks: 1 })]);
    expect(picked?.agent_id).toBe('idle');
  });

  it('breaks ties by health score', () => {
    const picked = pickAgent(task('normal'), [agent('a1', { health_score: 0.4 }), agent('a2', { health_score: 0.9 }), agent('a3', { health_score: 0.7 })]);
    expect(picked?.agent_id).toBe('a2');
  });

  it('prefers an agent that has not failed the task yet, but falls back to one that has', () => {
    const t = task('normal', { tried_agents: ['a1'] });
    expect(pickAgent(t, [agent('a1'), agent('a2', { active_tasks: 5 })])?.agent_id).toBe('a2');
    expect(pickAgent(t, [agent('a1')])?.agent_id).toBe('a1');
  });

  it('spreads a burst evenly across equal agents', () => {
    const tasks = Array.from({ length: 9 }, () => task('normal'));
    const plan = planAssignments(tasks, [agent('a'), agent('b'), agent('c')]);
    const counts = plan.reduce<Record<string, number>>((m, p) => ({ ...m, [p.agent.agent_id]: (m[p.agent.agent_id] ?? 0) + 1 }), {});
    expect(counts).toEqual({ a: 3, b: 3, c: 3 });
  });

  it('leaves tasks nobody can take out of the plan', () => {
    const waiting = task('urgent', { requirements: { capabilities: ['gpu'] } });
    const ok = task('low');
    const plan = planAssignments([waiting, ok], [agent('a')]);
    expect(plan.map((p) => p.task.task_id)).toEqual([ok.task_id]);
  });
});
