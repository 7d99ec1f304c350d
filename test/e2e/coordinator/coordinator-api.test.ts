import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { eventually, json } from '../../support/http';
import { startService, startSuite, type AppProcess, type Suite } from '../../support/services';

interface Delivery {
  task_id: string;
  agent_id: string;
  token: string;
  attempt: number;
  priority: string;
  task_data: Record<string, unknown>;
  principal?: unknown;
}
type Handler = (d: Delivery, res: http.ServerResponse) => void;

/** External agents for the test: each path is one agent; `handlers` decide how each answers. */
class AgentServer {
  private server?: http.Server;
  readonly deliveries: Delivery[] = [];
  readonly handlers = new Map<string, Handler>();
  port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const d = JSON.parse(body) as Delivery;
        this.deliveries.push(d);
        const h = this.handlers.get(req.url ?? '') ?? ((_d, r) => r.writeHead(202).end());
        h(d, res);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server!.address() as AddressInfo).port;
  }
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }
}

const completed =
  (result: unknown): Handler =>
  (_d, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'completed', result }));

/**
 * Seed 001's coordinator API through the gateway, on real processes: external HTTP agents, a
 * job-runner worker agent, a stale agent, a coordinator restart and two coordinator replicas.
 */
describe('Agent coordinator API (e2e)', () => {
  jest.setTimeout(60_000);
  const agents = new AgentServer();
  let suite: Suite;
  let api: string;
  let coordinatorB: AppProcess | undefined;
  const run = Math.random().toString(36).slice(2, 8);
  const env = {
    COORDINATOR_HEARTBEAT_INTERVAL_MS: '1000',
    COORDINATOR_HEARTBEAT_TOLERANCE: '2',
    COORDINATOR_SWEEP_INTERVAL_MS: '250',
    COORDINATOR_DISPATCH_INTERVAL_MS: '250',
    COORDINATOR_TASK_MAX_ATTEMPTS: '3',
    COORDINATOR_DELIVERY_TIMEOUT_MS: '2000',
    WORKER_AGENT_HEARTBEAT_MS: '300',
    WORKER_AGENT_POLL_MS: '50',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_BURST_PER_SECOND: '100000',
  };

  beforeAll(async () => {
    await agents.start();
    suite = await startSuite({ basePort: 18200, apps: ['gateway', 'job-runner', 'agent-coordinator'], env });
    api = suite.gatewayUrl;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([suite?.stop(), coordinatorB?.stop()]);
    await agents.stop();
  }, 30_000);

  const post = <T = Record<string, unknown>>(path: string, body?: unknown) => json<T>(`${api}${path}`, { method: 'POST', body: body ?? {} });
  const get = <T = Record<string, unknown>>(path: string) => json<T>(`${api}${path}`);
  const register = (agent_id: string, extra: Record<string, unknown> = {}) => post('/agents/register', { agent_id, agent_type: 'worker', ...extra });
  const submit = (body: Record<string, unknown>) => post<{ task_id: string }>('/tasks/submit', body);
  type Task = { status: string; assigned_agent: string | null; attempts: number; result: unknown; error: string | null };
  const task = async (id: string) => (await get<{ task: Task }>(`/tasks/${id}`)).body.task;
  const until = (id: string, status: string, ms = 15_000) => eventually(async () => ((await task(id)).status === status ? task(id) : null), ms);
  const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

  it('serves the documented agent endpoints and errors', async () => {
    const id = `doc-${run}`;
    const reg = await register(id, { capabilities: ['data-processing', 'analysis'], services: ['task-execution'], metadata: { version: '1.0.0' } });
    expect(reg.status).toBe(200);
    expect(reg.body).toEqual({ status: 'success', message: `Agent ${id} registered successfully`, agent_id: id, registered_at: iso });

    const found = await post<{ agents: { agent_id: string }[]; count: number }>('/agents/discover', {
      status: 'active',
      agent_type: 'worker',
      capabilities: ['analysis'],
    });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ status: 'success', query: { status: 'active', agent_type: 'worker', capabilities: ['analysis'] }, timestamp: iso });
    expect(found.body.count).toBe(found.body.agents.length);
    expect(found.body.agents.map((a) => a.agent_id)).toContain(id);

    const one = await get<{ agent: Record<string, unknown> }>(`/agents/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.agent).toMatchObject({
      agent_id: id,
      agent_type: 'worker',
      status: 'active',
      capabilities: ['data-processing', 'analysis'],
      services: ['task-execution'],
      endpoints: {},
      metadata: { version: '1.0.0' },
      last_heartbeat: iso,
      registration_time: iso,
      load_metrics: {},
      version: '1.0.0',
      tags: [],
    });
    expect(one.body.agent.health_score).toBeGreaterThanOrEqual(0);
    expect(one.body.agent.health_score).toBeLessThanOrEqual(1);

    const upd = await json(`${api}/agents/${id}/status`, {
      method: 'PUT',
      body: { status: 'busy', load_metrics: { active_connections: 5, pending_tasks: 2 } },
    });
    expect(upd.status).toBe(200);
    expect(upd.body).toEqual({ status: 'success', message: `Agent ${id} status updated`, agent_id: id, new_status: 'busy', updated_at: iso });
    expect((await get<{ agent: { load_metrics: unknown } }>(`/agents/${id}`)).body.agent.load_metrics).toEqual({ active_connections: 5, pending_tasks: 2 });
    const beat = await post(`/agents/${id}/heartbeat`, { status: 'active' });
    expect(beat.status).toBe(200);
    expect(beat.body).toMatchObject({ status: 'success', agent_id: id, agent_status: 'active', timestamp: iso });

    expect(await get('/agents/no-such-agent')).toMatchObject({ status: 404, body: { detail: 'Agent not found' } });
    expect((await post('/agents/no-such-agent/heartbeat')).status).toBe(404);
    const noId = await post<{ detail: { loc: string[] }[] }>('/agents/register', { agent_type: 'worker' });
    expect(noId.status).toBe(422);
    expect(noId.body.detail.some((d) => d.loc.join('.') === 'body.agent_id')).toBe(true);
    expect((await json(`${api}/agents/${id}/status`, { method: 'PUT', body: { status: 'sleepy' } })).status).toBe(422);
    expect((await post('/agents/discover', { status: 'sleepy' })).status).toBe(422);
    expect((await register(`x-${run}`, { unknown_field: 1 })).status).toBe(422);
  });

  it('serves the documented task endpoints and errors', async () => {
    const bad = await submit({ task_data: { model: 'llama2', prompt: 'test prompt' }, priority: 'asap', requirements: {} });
    expect(bad).toMatchObject({ status: 400, body: { detail: 'Invalid priority: asap' } });
    expect((await submit({ priority: 'normal' })).status).toBe(422);
    const cap = `never-${run}`;
    const ok = await submit({ task_data: { model: 'llama2', prompt: 'test prompt' }, priority: 'critical', requirements: { capabilities: [cap] } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      status: 'success',
      message: 'Task submitted successfully',
      task_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      priority: 'critical',
      submitted_at: iso,
    });

    const stats = await get<{ stats: Record<string, unknown> }>('/tasks/status');
    expect(stats.status).toBe(200);
    expect(Object.keys(stats.body.stats).sort()).toEqual(
      ['avg_distribution_time', 'load_balancer_stats', 'queue_sizes', 'tasks_completed', 'tasks_distributed', 'tasks_failed'].sort(),
    );
    expect(stats.body.stats.load_balancer_stats).toMatchObject({ strategy: 'least_connections' });
    expect(Object.keys(stats.body.stats.load_balancer_stats as object).sort()).toEqual(
      [
        'active_agents',
        'agent_weights',
        'avg_agent_load',
        'failed_assignments',
        'strategy',
        'success_rate',
        'successful_assignments',
        'total_assignments',
      ].sort(),
    );
    const queues = await get<{ queue_sizes: Record<string, number> }>('/tasks/queues');
    expect(Object.keys(queues.body.queue_sizes)).toEqual(['urgent', 'critical', 'high', 'normal', 'low']);
    expect(queues.body.queue_sizes.critical).toBeGreaterThanOrEqual(1);
    expect((await get('/tasks/queues/stats')).body).toMatchObject({ status: 'success', oldest_wait_seconds: { critical: expect.any(Number) } });
    expect((await task(ok.body.task_id)).status).toBe('queued');

    const cleared = await post<{ cleared: number }>('/tasks/queues/critical/clear');
    expect(cleared.status).toBe(200);
    expect(cleared.body.cleared).toBeGreaterThanOrEqual(1);
    expect((await task(ok.body.task_id)).status).toBe('cancelled');
    expect(await post('/tasks/queues/whenever/clear')).toMatchObject({ status: 400, body: { detail: 'Invalid priority: whenever' } });
    expect(await get('/tasks/00000000-0000-4000-8000-000000000000')).toMatchObject({ status: 404, body: { detail: 'Task not found' } });
    expect((await get('/tasks/not-a-uuid')).status).toBe(404);
  });

  it('runs a task on an external HTTP agent that reports back through the gateway', async () => {
    const cap = `ext-${run}`;
    agents.handlers.set('/async', (d, res) => {
      res.writeHead(202).end();
      setTimeout(() => void post(`/tasks/${d.task_id}/result`, { agent_id: d.agent_id, token: d.token, status: 'completed', result: { answer: 42 } }), 100);
    });
    await register(`async-${run}`, { capabilities: [cap], endpoints: { http: agents.url('/async') } });
    const { body } = await submit({ task_data: { prompt: 'hi' }, priority: 'normal', requirements: { capabilities: [cap] } });
    const done = await until(body.task_id, 'completed');
    expect(done).toMatchObject({ assigned_agent: `async-${run}`, attempts: 1, result: { answer: 42 }, error: null });
    const d = agents.deliveries.find((x) => x.task_id === body.task_id)!;
    expect(d).toMatchObject({ agent_id: `async-${run}`, attempt: 1, priority: 'normal', task_data: { prompt: 'hi' } });
    expect(d.principal).toBeUndefined(); // the owner's identity is not sent outside
    // A stale token is refused.
    expect((await post(`/tasks/${body.task_id}/result`, { agent_id: d.agent_id, token: d.token, status: 'failed' })).status).toBe(409);
  });

  it('moves a task from an unreachable agent to another eligible one', async () => {
    const cap = `fail-${run}`;
    agents.handlers.set('/good', completed('fine'));
    // The healthier (preferred) agent is unreachable; the loaded one works.
    await register(`dead-${run}`, { capabilities: [cap], endpoints: { http: 'http://127.0.0.1:1/nothing' } });
    await register(`good-${run}`, { capabilities: [cap], endpoints: { http: agents.url('/good') }, load_metrics: { cpu_usage: 90 } });
    const { body } = await submit({ task_data: {}, priority: 'high', requirements: { capabilities: [cap] } });
    const done = await until(body.task_id, 'completed');
    expect(done).toMatchObject({ assigned_agent: `good-${run}`, attempts: 2, result: 'fine' });
    // Unreachable: marked stale until it heartbeats again.
    expect((await get<{ agent: { status: string } }>(`/agents/dead-${run}`)).body.agent.status).toBe('stale');
  });

  it('dispatches strictly by priority, FIFO within one', async () => {
    const cap = `order-${run}`;
    const order: string[] = [];
    agents.handlers.set('/one', (d, res) => {
      order.push(String(d.task_data.label));
      completed(null)(d, res);
    });
    await register(`one-${run}`, { capabilities: [cap], endpoints: { http: agents.url('/one') }, metadata: { max_concurrent_tasks: 1 }, status: 'inactive' });
    const before = (await get<{ queue_sizes: Record<string, number> }>('/tasks/queues')).body.queue_sizes;
    const labels = ['low-1', 'normal-1', 'urgent-1', 'high-1', 'critical-1', 'low-2', 'urgent-2', 'normal-2'];
    const ids: string[] = [];
    for (const label of labels)
      ids.push((await submit({ task_data: { label }, priority: label.split('-')[0], requirements: { capabilities: [cap] } })).body.task_id);
    const after = (await get<{ queue_sizes: Record<string, number> }>('/tasks/queues')).body.queue_sizes;
    const grew = Object.fromEntries(Object.entries(after).map(([p, n]) => [p, n - before[p]]));
    expect(grew).toEqual({ urgent: 2, critical: 1, high: 1, normal: 2, low: 2 });
    await json(`${api}/agents/one-${run}/status`, { method: 'PUT', body: { status: 'active' } });
    await eventually(async () => order.length === labels.length, 15_000);
    expect(order).toEqual(['urgent-1', 'urgent-2', 'critical-1', 'high-1', 'normal-1', 'normal-2', 'low-1', 'low-2']);
  });

  it('runs a task as a job on a job-runner worker agent', async () => {
    const worker = await eventually(async () => {
      const r = await post<{ agents: { agent_id: string; capabilities: string[]; endpoints: Record<string, string> }[] }>('/agents/discover', {
        status: 'active',
        agent_type: 'worker',
        capabilities: ['echo'],
      });
      return r.body.agents.find((a) => a.endpoints.nats);
    }, 20_000);
    expect(worker.capabilities).toEqual(expect.arrayContaining(['echo', 'shallow_researcher', 'deep_researcher']));
    const { body } = await submit({
      task_data: { task_type: 'echo', prompt: 'hello coordinator' },
      priority: 'urgent',
      requirements: { agent_type: 'worker', capabilities: ['echo'] },
    });
    const done = await until(body.task_id, 'completed', 30_000);
    expect(done.result).toMatchObject({ report: 'Your input is hello coordinator.', job_id: expect.stringContaining(body.task_id) });
    // The job is the task owner's and visible through the job API.
    const jobId = (done.result as { job_id: string }).job_id;
    expect((await get(`/v1/jobs/async/job/${jobId}`)).body).toMatchObject({ job_id: jobId, agent_type: 'echo', status: 'success' });
    const agent = (await get<{ agent: { load_metrics: Record<string, number> } }>(`/agents/${done.assigned_agent}`)).body.agent;
    expect(Object.keys(agent.load_metrics)).toEqual(expect.arrayContaining(['active_connections', 'cpu_usage', 'memory_usage']));
  });

  it('marks an agent without heartbeats stale, holds its tasks, and revives it on a heartbeat', async () => {
    const cap = `stale-${run}`;
    agents.handlers.set('/stale', completed('back'));
    await register(`stale-${run}`, { capabilities: [cap], endpoints: { http: agents.url('/stale') } });
    await eventually(async () => (await get<{ agent: { status: string } }>(`/agents/stale-${run}`)).body.agent.status === 'stale', 10_000);
    expect((await get<{ agent: { health_score: number } }>(`/agents/stale-${run}`)).body.agent.health_score).toBe(0);
    const { body } = await submit({ task_data: {}, priority: 'low', requirements: { capabilities: [cap] } });
    await new Promise((r) => setTimeout(r, 800));
    expect((await task(body.task_id)).status).toBe('queued');
    expect((await get<{ queue_sizes: Record<string, number> }>('/tasks/queues')).body.queue_sizes.low).toBeGreaterThanOrEqual(1);
    expect((await post<{ agent_status: string }>(`/agents/stale-${run}/heartbeat`)).body.agent_status).toBe('active');
    expect(await until(body.task_id, 'completed')).toMatchObject({ assigned_agent: `stale-${run}`, result: 'back' });
  });

  it('loses nothing across a coordinator restart and answers 503 while it is down', async () => {
    const cap = `restart-${run}`;
    agents.handlers.set('/restart', completed('after restart'));
    await register(`restart-${run}`, { capabilities: [cap], endpoints: { http: agents.url('/restart') }, status: 'inactive' });
    const { body } = await submit({ task_data: {}, priority: 'normal', requirements: { capabilities: [cap] } });
    await suite.app('agent-coordinator').stop();
    const down = await get('/agents/whoever');
    expect(down.status).toBe(503);
    expect(typeof (down.body as { detail: unknown }).detail).toBe('string');
    expect((await submit({ task_data: {}, priority: 'normal' })).status).toBe(503);

    const restarted = await startService('agent-coordinator', 18202, suite.env);
    suite.apps.set('agent-coordinator', restarted);
    expect((await get<{ agent: { status: string } }>(`/agents/restart-${run}`)).body.agent.status).toBe('inactive');
    expect((await task(body.task_id)).status).toBe('queued');
    await post(`/agents/restart-${run}/heartbeat`, { status: 'active' });
    expect(await until(body.task_id, 'completed')).toMatchObject({ result: 'after restart' });
  }, 60_000);

  it('never dispatches one task twice with two coordinator replicas', async () => {
    coordinatorB = await startService('agent-coordinator', 18206, suite.env);
    const cap = `pair-${run}`;
    for (let i = 0; i < 8; i++) {
      agents.handlers.set(`/pair-${i}`, (d, res) => setTimeout(() => completed(d.task_id)(d, res), 5));
      await register(`pair-${i}-${run}`, { capabilities: [cap], endpoints: { http: agents.url(`/pair-${i}`) } });
    }
    // These agents heartbeat like real ones would (the suite's stale limit is 2 s).
    const beating = setInterval(() => {
      for (let i = 0; i < 8; i++) void post(`/agents/pair-${i}-${run}/heartbeat`);
    }, 400);
    const before = agents.deliveries.length;
    const n = 300;
    const ids = new Set<string>();
    for (let i = 0; i < n; i += 30) {
      const batch = await Promise.all(
        Array.from({ length: 30 }, (_, j) =>
          submit({ task_data: { i: i + j }, priority: ['urgent', 'normal', 'low'][j % 3], requirements: { capabilities: [cap] } }),
        ),
      );
      batch.forEach((r) => ids.add(r.body.task_id));
    }
    await eventually(async () => agents.deliveries.slice(before).filter((d) => ids.has(d.task_id)).length >= n, 30_000, 100);
    await new Promise((r) => setTimeout(r, 1000)); // room for any duplicate to show up
    clearInterval(beating);
    const mine = agents.deliveries.slice(before).filter((d) => ids.has(d.task_id));
    expect(mine).toHaveLength(n);
    expect(new Set(mine.map((d) => d.task_id)).size).toBe(n);
    const perAgent = mine.reduce<Record<string, number>>((m, d) => ({ ...m, [d.agent_id]: (m[d.agent_id] ?? 0) + 1 }), {});
    expect(Object.keys(perAgent)).toHaveLength(8); // least connections spreads them
    for (const id of [...ids].slice(0, 20)) expect((await task(id)).status).toBe('completed');
    const stats = (
      await get<{ stats: { tasks_completed: number; load_balancer_stats: { total_assignments: number; successful_assignments: number } } }>('/tasks/status')
    ).body.stats;
    expect(stats.tasks_completed).toBeGreaterThanOrEqual(n);
    expect(stats.load_balancer_stats.successful_assignments).toBeGreaterThanOrEqual(n);
  }, 90_000);
});
