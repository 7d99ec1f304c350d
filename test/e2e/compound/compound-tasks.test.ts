import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, json } from '../../support/http';
import { MockLlm, type LlmCall, type MockReply } from '../../support/mock-llm';
import { startService, testEnv, type AppProcess } from '../../support/services';
import { logged, readSse, statusOf } from '../../support/sse';
import { apikeyCli } from '../security/support';

/**
 * Compound tasks (seed 003) against the real stack: a gateway and job-runners (killed with SIGKILL in
 * one test), a model catalogue of three tiers on the mock model server, API-key callers.
 * Ports 18600-18619.
 */

interface Subtask {
  id: string;
  index: number;
  description: string;
  tier_hint: number;
  tier_assigned: number | null;
  model: string | null;
  depends_on: number[];
  status: string;
  result: string | null;
  cost: number | null;
  started_at: string | null;
  completed_at: string | null;
}
interface Progress {
  id: string;
  prompt: string;
  status: string;
  reasoning: string;
  subtasks: Subtask[];
  created_at: string;
  planned_at: string;
  completed_at: string | null;
  total_cost: number;
}

/** How the mock answers one subtask (matched by its description). */
interface StepScript {
  status?: number;
  delayMs?: number;
  tokens?: number;
}

const PRICES: Record<string, [number, number]> = { 'mock-small': [1, 2], 'mock-medium': [3, 6], 'mock-large': [10, 30] };
const TIER_MODEL: Record<number, string> = { 1: 'small', 2: 'medium', 3: 'large' };

/** Planning answers per task tag (`[t-…]` in the prompt), used in order; none left: an unusable `{}`. */
const plans = new Map<string, string[]>();
const steps = new Map<string, StepScript>();
const isPlanning = (c: LlmCall) => c.response_format?.type === 'json_object';
const stepOf = (c: LlmCall) => /Your step: (.*)/.exec(c.messages.map((m) => m.content).join('\n'))?.[1];

/** What the mock answers for a scripted step: `tokens` words derived from it. */
const answerOf = (step: string, tokens: number) => Array.from({ length: tokens }, (_, i) => `${step.replace(/\W+/g, '_')}#${i}`).join(' ');

const llm = new MockLlm((call): MockReply => {
  if (isPlanning(call)) {
    const tag = /\[(t-[0-9a-f]+)\]/.exec(call.messages.find((m) => m.role === 'user')?.content ?? '')?.[1];
    return plans.get(tag ?? '')?.shift() ?? '{}';
  }
  const step = stepOf(call);
  const script = step ? steps.get(step) : undefined;
  if (!step || !script) return undefined;
  return { text: answerOf(step, script.tokens ?? 6), status: script.status, delayMs: script.delayMs };
});

const sub = (description: string, depends_on: number[] = [], tier_hint = 1) => ({ description, tier_hint, depends_on });
const newTag = () => `t-${randomUUID().slice(0, 8)}`;

describe('compound tasks (e2e)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'compound-e2e-'));
  let env: Record<string, string>;
  let gateway: AppProcess;
  let runner: AppProcess;
  const extra: AppProcess[] = [];
  let base: string;
  let alice: Record<string, string>;
  let aliceKey: string;
  let bob: Record<string, string>;

  const api = <T = Record<string, unknown>>(method: string, path: string, headers: Record<string, string> = alice, body?: unknown) =>
    json<T>(`${base}${path}`, { method, headers, body });
  const progressOf = async (id: string, who = alice) => (await api<Progress>('GET', `/task/${id}/progress`, who)).body;
  const until = (id: string, done: (p: Progress) => boolean, timeoutMs = 40_000) =>
    eventually(
      async () => {
        const p = await progressOf(id);
        return done(p) ? p : undefined;
      },
      timeoutMs,
      100,
    );
  const finished = (p: Progress) => ['completed', 'partial', 'failed', 'cancelled'].includes(p.status);

  /** Submits a task whose plan is `planned` (the model answers each of `answers` in turn). */
  const submit = async (prompt: string, answers: unknown[]) => {
    const tag = newTag();
    plans.set(
      tag,
      answers.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))),
    );
    const res = await api<{ id: string; status: string; subtask_count: number }>('POST', '/task/compound', alice, { prompt: `${prompt} [${tag}]` });
    return { tag, ...res };
  };

  const expectedCost = (calls: LlmCall[]) =>
    calls.reduce((sum, c) => {
      const [pin, pout] = PRICES[c.model];
      return sum + (c.usage!.prompt_tokens * pin + c.usage!.completion_tokens * pout) / 1e6;
    }, 0);

  beforeAll(async () => {
    const url = await llm.start();
    const file = join(dir, 'models.yaml');
    writeFileSync(
      file,
      [
        'default: small',
        'models:',
        '  - { name: small, model: mock-small, tier: 1, price_input_per_m: 1, price_output_per_m: 2 }',
        '  - { name: medium, model: mock-medium, tier: 2, price_input_per_m: 3, price_output_per_m: 6 }',
        '  - { name: large, model: mock-large, tier: 3, price_input_per_m: 10, price_output_per_m: 30 }',
      ].join('\n'),
    );
    env = testEnv({
      LLM_MODELS_FILE: file,
      LLM_BASE_URL: url,
      REDIS_KEY_PREFIX: `compound-${randomUUID().slice(0, 8)}:`,
      REQUIRE_AUTH: 'true',
      AUTH_API_KEYS_ENABLED: 'true',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST_PER_SECOND: '100000',
      JOB_LOCK_MS: '2000',
      JOB_STALLED_CHECK_MS: '500',
      COMPOUND_PLAN_TIMEOUT_MS: '15000',
      COMPOUND_MAX_SUBTASKS: '5',
      COMPOUND_MAX_PARALLEL: '3',
    });
    [gateway, runner] = await Promise.all([startService('gateway', 18600, env), startService('job-runner', 18601, env)]);
    base = gateway.url;
    aliceKey = (await apikeyCli(env, 'create', '--name', `alice-${randomUUID().slice(0, 6)}`)).key as string;
    alice = { authorization: `Bearer ${aliceKey}` };
    bob = { authorization: `Bearer ${(await apikeyCli(env, 'create', '--name', `bob-${randomUUID().slice(0, 6)}`)).key as string}` };
  }, 120_000);

  afterAll(async () => {
    await Promise.all([gateway, runner, ...extra].filter(Boolean).map((a) => a.stop(5000)));
    await llm.stop();
  }, 30_000);

  it("plans with the tier-1 model, runs independent subtasks in parallel and a dependent one after both, on each tier_hint's model, costing what the mock reported", async () => {
    const a = 'research alpha widely';
    const b = 'research beta widely';
    const c = 'summarize alpha and beta';
    steps.set(a, { delayMs: 150, tokens: 8 });
    steps.set(b, { delayMs: 150, tokens: 8 });
    steps.set(c, { tokens: 5 });
    const plan = { reasoning: 'two independent lookups, then one summary', subtasks: [sub(a, [], 1), sub(b, [], 2), sub(c, [0, 1], 3)] };
    const res = await submit('Research alpha and beta, then summarize', [plan]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: expect.stringMatching(/^compound-[0-9a-f]{12}$/), status: 'planned', subtask_count: 3 });
    const id = res.body.id;

    const planning = llm.callsWhere(res.tag).filter(isPlanning);
    expect(planning).toHaveLength(1);
    expect(planning[0]).toMatchObject({ model: 'mock-small', stream: false, temperature: 0 });

    const p = await until(id, finished);
    expect(p).toMatchObject({ id, status: 'completed', reasoning: plan.reasoning, prompt: expect.stringContaining('Research alpha and beta') });
    expect(p.subtasks.map((s) => [s.id, s.index, s.description, s.tier_hint, s.tier_assigned, s.model, s.depends_on, s.status])).toEqual([
      [`${id}-sub-0`, 0, a, 1, 1, 'small', [], 'completed'],
      [`${id}-sub-1`, 1, b, 2, 2, 'medium', [], 'completed'],
      [`${id}-sub-2`, 2, c, 3, 3, 'large', [0, 1], 'completed'],
    ]);
    const t = (s: string | null) => Date.parse(s!);
    const [s0, s1, s2] = p.subtasks;
    // Dependency order: the summary started only after both lookups had completed.
    expect(t(s2.started_at)).toBeGreaterThanOrEqual(Math.max(t(s0.completed_at), t(s1.completed_at)));
    // Parallelism: the two lookups' running intervals overlap.
    expect(t(s0.started_at)).toBeLessThan(t(s1.completed_at));
    expect(t(s1.started_at)).toBeLessThan(t(s0.completed_at));
    expect(t(p.completed_at)).toBeGreaterThanOrEqual(t(s2.completed_at));
    expect(t(p.planned_at)).toBeGreaterThanOrEqual(t(p.created_at));

    // Each subtask: one model call on its tier's model; its result is the answer; its cost is the reported usage × the catalogue's prices.
    for (const s of p.subtasks) {
      const calls = llm.callsWhere(`Your step: ${s.description}`);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ model: `mock-${TIER_MODEL[s.tier_assigned!]}`, stream: true, stream_options: { include_usage: true } });
      expect(calls[0].usage).toBeTruthy();
      expect(s.result).toBe(answerOf(s.description, steps.get(s.description)!.tokens!));
      expect(s.cost).toBeCloseTo(expectedCost(calls), 10);
    }
    // The summary's prompt carried both lookups' results.
    const summaryCall = llm
      .callsWhere(`Your step: ${c}`)[0]
      .messages.map((m) => m.content)
      .join('\n');
    expect(summaryCall).toContain(s0.result!);
    expect(summaryCall).toContain(s1.result!);
    expect(p.total_cost).toBeCloseTo(expectedCost(p.subtasks.flatMap((s) => llm.callsWhere(`Your step: ${s.description}`))), 10);
    expect(p.total_cost).toBeGreaterThan(0);

    // Each subtask is a child job of its own, with its own log and stream, owned by the caller.
    const childStream = await readSse(`${base}/v1/jobs/async/job/${s2.id}/stream`, { headers: alice });
    const childEvents = logged(childStream.frames).map((f) => JSON.parse(f.data) as { type: string; data: Record<string, unknown> });
    expect(childEvents.find((e) => e.type === 'llm.end')?.data).toMatchObject({ model: 'large', tier: 3, cost: s2.cost });
    expect(statusOf(childStream.frames.at(-1)!)).toBe('success');

    // The task's stream: plan, each subtask started and finished with its result, then the end; resumable by Last-Event-ID.
    const stream = await readSse(`${base}/task/${id}/stream`, { headers: alice });
    expect(stream.status).toBe(200);
    const events = logged(stream.frames).map((f) => ({ id: Number(f.id), ...(JSON.parse(f.data) as { type: string; data: Record<string, unknown> }) }));
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.find((e) => e.type === 'task.plan')?.data).toMatchObject({ reasoning: plan.reasoning, planner: 'model', subtasks: plan.subtasks });
    const ends = events.filter((e) => e.type === 'task.subtask' && e.data.status === 'completed');
    expect(ends.map((e) => e.data.index).sort()).toEqual([0, 1, 2]);
    expect(ends.find((e) => e.data.index === 0)?.data.result).toBe(s0.result);
    expect(events.at(-1)).toMatchObject({ type: 'job.status', data: { status: 'success' } });
    const resumed = await readSse(`${base}/task/${id}/stream`, { headers: { ...alice, 'Last-Event-ID': String(events.length - 2) } });
    expect(logged(resumed.frames).map((f) => Number(f.id))).toEqual([events.length - 1, events.length]);

    const recent = await api<Record<string, unknown>[]>('GET', '/tasks/recent?limit=5');
    expect(recent.status).toBe(200);
    expect(recent.body[0]).toEqual({
      id,
      prompt: p.prompt,
      status: 'completed',
      subtask_count: 3,
      completed_count: 3,
      total_cost: p.total_cost,
      created_at: p.created_at,
      completed_at: p.completed_at,
    });
  }, 60_000);

  it('an invalid plan is asked again once; invalid twice, the deterministic planner plans and the reasoning says so', async () => {
    const retried = await submit('Compare x and y', [
      'not json at all',
      { reasoning: 'fixed', subtasks: [sub('look at x'), sub('look at y'), sub('compare them', [0, 1])] },
    ]);
    expect(retried.body).toMatchObject({ status: 'planned', subtask_count: 3 });
    expect(llm.callsWhere(retried.tag).filter(isPlanning)).toHaveLength(2);
    const second = llm.callsWhere(retried.tag).filter(isPlanning)[1];
    expect(second.messages.at(-1)!.content).toMatch(/invalid: not a JSON object/);
    expect((await progressOf(retried.body.id)).reasoning).toBe('fixed');

    const fallback = await submit('Search for gamma and delta, then summarize', [
      { reasoning: 'loop', subtasks: [sub('a', [1]), sub('b', [0])] },
      { reasoning: 'too many', subtasks: Array.from({ length: 6 }, (_, i) => sub(`s${i}`)) },
    ]);
    expect(fallback.body).toMatchObject({ status: 'planned', subtask_count: 3 });
    expect(llm.callsWhere(fallback.tag).filter(isPlanning)).toHaveLength(2);
    const p = await until(fallback.body.id, finished);
    expect(p.reasoning).toMatch(/unusable.*depends_on may only name earlier subtasks.*subtasks must have 1 to 5 entries \(got 6\).*deterministic planner/);
    expect(p.subtasks.map((s) => [s.description, s.depends_on, s.tier_hint])).toEqual([
      ['Search for gamma', [], 2],
      ['Search for delta', [], 2],
      [`summarize [${fallback.tag}]`, [0, 1], 2],
    ]);
    expect(p.status).toBe('completed');
  }, 60_000);

  it('a failed subtask: what depends on it is skipped, the rest completes, the task is partial', async () => {
    const tag = newTag();
    const [ok, bad, after, other] = [`${tag} fine`, `${tag} broken`, `${tag} needs broken`, `${tag} needs fine`];
    steps.set(bad, { status: 500 });
    const res = await submit('Partial', [{ reasoning: 'r', subtasks: [sub(ok), sub(bad), sub(after, [1]), sub(other, [0])] }]);
    const p = await until(res.body.id, finished);
    expect(p.status).toBe('partial');
    expect(p.subtasks.map((s) => s.status)).toEqual(['completed', 'failed', 'skipped', 'completed']);
    expect(p.subtasks[1].result).toMatch(/mock model failure 500/);
    expect(p.subtasks[2]).toMatchObject({ result: null, started_at: null, cost: null });
    expect(llm.callsWhere(`Your step: ${after}`)).toHaveLength(0);
    expect(p.total_cost).toBeCloseTo(expectedCost([...llm.callsWhere(`Your step: ${ok}`), ...llm.callsWhere(`Your step: ${other}`)]), 10);
    const summary = (await api<{ id: string; status: string; completed_count: number }[]>('GET', '/tasks/recent')).body.find((s) => s.id === res.body.id);
    expect(summary).toMatchObject({ status: 'partial', completed_count: 2 });

    const allFail = `${tag} always broken`;
    steps.set(allFail, { status: 503 });
    const failed = await submit('Fails', [{ reasoning: 'r', subtasks: [sub(allFail)] }]);
    expect((await until(failed.body.id, finished)).status).toBe('failed');
  }, 60_000);

  it('cancel: running children are cancelled (their model calls aborted), pending ones marked cancelled', async () => {
    const tag = newTag();
    const [slow1, slow2, later] = [`${tag} slow one`, `${tag} slow two`, `${tag} later`];
    steps.set(slow1, { delayMs: 200, tokens: 100 });
    steps.set(slow2, { delayMs: 200, tokens: 100 });
    const res = await submit('Cancel me', [{ reasoning: 'r', subtasks: [sub(slow1), sub(slow2), sub(later, [0, 1])] }]);
    const id = res.body.id;
    await until(id, (p) => p.subtasks.filter((s) => s.status === 'running').length === 2);
    await eventually(async () => llm.callsWhere(`Your step: ${slow2}`).length === 1 && llm.callsWhere(`Your step: ${slow1}`).length === 1, 10_000);
    const cancel = await api('POST', `/task/${id}/cancel`);
    expect(cancel).toMatchObject({ status: 200, body: { id, status: 'cancelled' } });
    const p = await progressOf(id);
    expect(p.status).toBe('cancelled');
    expect(p.subtasks.map((s) => s.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(p.completed_at).toBeTruthy();
    await eventually(async () => [slow1, slow2].every((s) => llm.callsWhere(`Your step: ${s}`)[0].aborted), 10_000);
    for (const s of p.subtasks.slice(0, 2)) expect((await api<{ status: string }>('GET', `/v1/jobs/async/job/${s.id}`)).body.status).toBe('interrupted');
    await new Promise((r) => setTimeout(r, 800));
    expect(llm.callsWhere(`Your step: ${later}`)).toHaveLength(0);
    expect((await api<{ status: string }>('GET', `/v1/jobs/async/job/${id}-sub-2`)).status).toBe(404);
    expect((await api('POST', `/task/${id}/cancel`)).status).toBe(200); // again: it is cancelled
  }, 60_000);

  it("cancelling the task's parent job through the job API cascades to its children the same way", async () => {
    const tag = newTag();
    const [slow1, slow2] = [`${tag} slow a`, `${tag} slow b`];
    steps.set(slow1, { delayMs: 200, tokens: 100 });
    steps.set(slow2, { delayMs: 200, tokens: 100 });
    const res = await submit('Cancel me through the job API', [{ reasoning: 'r', subtasks: [sub(slow1), sub(slow2)] }]);
    const id = res.body.id;
    await until(id, (p) => p.subtasks.filter((s) => s.status === 'running').length === 2);
    expect((await api('POST', `/v1/jobs/async/job/${id}/cancel`)).status).toBe(200);
    await eventually(async () => [slow1, slow2].every((s) => llm.callsWhere(`Your step: ${s}`)[0]?.aborted), 10_000);
    const p = await progressOf(id);
    expect(p.status).toBe('cancelled');
    for (const s of p.subtasks) expect((await api<{ status: string }>('GET', `/v1/jobs/async/job/${s.id}`)).body.status).toBe('interrupted');
  }, 60_000);

  it("owner-only: another caller gets 404 for the task, its stream, its cancel and its children, and does not see it in recent; the body's token is checked like the header", async () => {
    const tag = newTag();
    plans.set(tag, [JSON.stringify({ reasoning: 'r', subtasks: [sub(`${tag} one`)] })]);
    // The credential in the body (no header) is checked by the same validators.
    const viaBody = await json<{ id: string; status: string }>(`${base}/task/compound`, {
      method: 'POST',
      body: { prompt: `Owned [${tag}]`, token: aliceKey },
    });
    expect(viaBody.status).toBe(200);
    const id = viaBody.body.id;
    await until(id, finished);
    expect((await progressOf(id)).status).toBe('completed');

    for (const [m, path] of [
      ['GET', `/task/${id}/progress`],
      ['GET', `/task/${id}/stream`],
      ['POST', `/task/${id}/cancel`],
      ['GET', `/v1/jobs/async/job/${id}-sub-0`],
      ['GET', `/v1/jobs/async/job/${id}`],
    ]) {
      const r = await api(m, path, bob);
      expect([m, path, r.status]).toEqual([m, path, 404]);
    }
    expect((await api<{ id: string }[]>('GET', '/tasks/recent?limit=100', bob)).body.map((t) => t.id)).not.toContain(id);
    expect((await api<{ id: string }[]>('GET', '/tasks/recent?limit=100', alice)).body.map((t) => t.id)).toContain(id);
    // A `compound` job submitted through the job API with its own id is a job, not a task: not listed.
    const own = await api<{ job_id: string }>('POST', '/v1/jobs/async/submit', alice, {
      agent_type: 'compound',
      input: 'Search a, then b',
      job_id: `own-${id}`,
    });
    expect(own.status).toBeLessThan(300);
    expect((await api<{ id: string }[]>('GET', '/tasks/recent?limit=100', alice)).body.map((t) => t.id)).not.toContain(`own-${id}`);

    expect((await json(`${base}/task/compound`, { method: 'POST', body: { prompt: 'x', token: 'not-a-key' } })).status).toBe(401);
    expect((await json(`${base}/task/compound`, { method: 'POST', body: { prompt: 'x' } })).status).toBe(401);
    expect((await json(`${base}/task/compound?token=${aliceKey}`, { method: 'POST', body: { prompt: 'x' } })).status).toBe(400);
    expect((await json(`${base}/tasks/recent?token=${aliceKey}`)).status).toBe(400);
  }, 60_000);

  it('bad input is 422 {"detail"}, an unknown id 404, never a 5xx', async () => {
    for (const body of [{}, { prompt: '' }, { prompt: 'x'.repeat(5001) }, { prompt: 7 }, { prompt: 'x', extra: 1 }, { prompt: 'a\u0000b' }]) {
      const r = await api('POST', '/task/compound', alice, body);
      expect([JSON.stringify(body).slice(0, 40), r.status]).toEqual([JSON.stringify(body).slice(0, 40), 422]);
      expect(r.body).toHaveProperty('detail');
    }
    expect((await api('POST', '/task/compound', alice, '{"prompt":')).status).toBe(422);
    for (const q of ['limit=abc', 'limit=0', 'limit=-3', 'limit=1.5']) {
      const r = await api('GET', `/tasks/recent?${q}`);
      expect([q, r.status]).toEqual([q, 422]);
      expect(r.body).toHaveProperty('detail');
    }
    const clamped = await api<unknown[]>('GET', '/tasks/recent?limit=100000');
    expect(clamped.status).toBe(200);
    expect(clamped.body.length).toBeLessThanOrEqual(100);
    expect((await api<unknown[]>('GET', '/tasks/recent?limit=1')).body).toHaveLength(1);
    for (const [m, path] of [
      ['GET', '/task/compound-000000000000/progress'],
      ['GET', '/task/nope/progress'],
      ['GET', '/task/compound-000000000000/stream'],
      ['POST', '/task/compound-000000000000/cancel'],
      ['POST', '/task/nope/cancel'],
    ]) {
      const r = await api(m, path);
      expect([m, path, r.status, r.body]).toEqual([m, path, 404, { detail: 'Task not found' }]);
    }
    const h = await api('GET', '/task/compound-000000000000/stream', { ...alice, 'Last-Event-ID': 'x' });
    expect(h.status).toBe(422);

    // Documented in OpenAPI like the other dialects.
    const doc = (await api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json', {})).body;
    expect(Object.keys(doc.paths['/task/compound'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/task/{id}/progress'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/tasks/recent'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/task/{id}/stream'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/task/{id}/cancel'])).toEqual(['post']);
  }, 60_000);

  it('SIGKILL of the runner running the task: another runner finishes it, no completed subtask runs twice and none loses its result', async () => {
    const tag = newTag();
    const [first, slow, last] = [`${tag} quick first`, `${tag} slow middle`, `${tag} quick last`];
    steps.set(slow, { delayMs: 100, tokens: 40 });
    const res = await submit('Survive a crash', [{ reasoning: 'a chain', subtasks: [sub(first), sub(slow, [0]), sub(last, [1])] }]);
    const id = res.body.id;
    const before = await until(id, (p) => p.subtasks[0].status === 'completed' && p.subtasks[1].status === 'running', 20_000);
    await eventually(async () => llm.callsWhere(`Your step: ${slow}`).length === 1, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    runner.kill(); // the only runner: it held the task and its running child
    const next = await startService('job-runner', 18602, env);
    extra.push(next);
    runner = next;

    const p = await until(id, finished, 60_000);
    expect(p.status).toBe('completed');
    expect(p.subtasks.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    // Completed before the crash: run exactly once, result kept.
    expect(llm.callsWhere(`Your step: ${first}`)).toHaveLength(1);
    expect(p.subtasks[0].result).toBe(before.subtasks[0].result);
    expect(p.subtasks[0].completed_at).toBe(before.subtasks[0].completed_at);
    // Running at the crash: its own job's retry ran it again; the task waited for it.
    expect(llm.callsWhere(`Your step: ${slow}`).length).toBeGreaterThanOrEqual(1);
    expect(llm.callsWhere(`Your step: ${last}`)).toHaveLength(1);
    expect(Date.parse(p.subtasks[2].started_at!)).toBeGreaterThanOrEqual(Date.parse(p.subtasks[1].completed_at!));
    expect(p.total_cost).toBeCloseTo(
      p.subtasks.reduce((sum, s) => sum + s.cost!, 0),
      10,
    );

    // The task's log: the run retried (attempt 2), one plan, each subtask's end recorded once.
    const events = logged((await readSse(`${base}/task/${id}/stream`, { headers: alice })).frames).map(
      (f) => JSON.parse(f.data) as { type: string; data: Record<string, unknown> },
    );
    expect(events.filter((e) => e.type === 'job.status' && e.data.status === 'running').map((e) => e.data.attempt)).toEqual([1, 2]);
    expect(events.filter((e) => e.type === 'task.plan')).toHaveLength(1);
    const ends = events.filter((e) => e.type === 'task.subtask' && e.data.status === 'completed').map((e) => e.data.index);
    expect(ends.sort()).toEqual([0, 1, 2]);
  }, 120_000);
});
