import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, json } from '../../support/http';
import { MockLlm, type LlmCall, type MockReply } from '../../support/mock-llm';
import { startService, testEnv, type AppProcess } from '../../support/services';
import { readSse } from '../../support/sse';
import { apikeyCli, bearer } from '../security/support';

/**
 * The AI council API (seed 004, docs/council.md) against real processes: gateway A (no auth) in front
 * of one job-runner whose catalogue has three member models m1–m3 and an embedding model, all played
 * by one local model server that answers per model and per scenario (`[[council=…]]` in the query):
 * agreeing answers, divergent ones that converge once asked to revise, ones that never converge, an
 * erroring model, a slow one. Gateway C requires API keys (401 and owner isolation in the envelope),
 * gateway D has a tiny rate limit (429 in the envelope). Later phases swap the runner for one with a
 * single model and no embeddings (the default council, TF-IDF), then one with no model at all.
 */
jest.setTimeout(60_000);

const PORTS = { gatewayA: 18700, runner: 18701, gatewayC: 18702, gatewayD: 18703, runner2: 18704, runner3: 18705 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PRICE_IN = 1000;
const PRICE_OUT = 2000;

const AGREE: Record<string, string> = {
  m1: 'Paris is the capital of France.',
  m2: 'The capital of France is Paris.',
  m3: 'Paris is the capital city of France.',
};
const DIVERGE: Record<string, string> = {
  m1: 'Lyon has the finest cooking anywhere.',
  m2: 'Bananas grow in warm tropical climates.',
  m3: 'Rockets burn kerosene with liquid oxygen.',
};
const CONVERGED = 'Paris is the capital of France.';

const text = (call: LlmCall) => call.messages.map((m) => m.content).join('\n');
const scenarioOf = (call: LlmCall) => /\[\[council=([a-z-]+)\]\]/.exec(text(call))?.[1] ?? 'agree';

/** The council's models, per model and per scenario. */
function respond(call: LlmCall): MockReply {
  const system = call.messages[0]?.content ?? '';
  if (/synthesizer of a council/.test(system)) return `Consensus: ${CONVERGED}`;
  if (/moderator of a council/.test(system)) return `Moderated: ${CONVERGED}`;
  const revising = /Revise your answer/.test(call.messages[call.messages.length - 1]?.content ?? '');
  const model = call.model in AGREE ? call.model : 'm1';
  switch (scenarioOf(call)) {
    case 'diverge':
      return revising ? CONVERGED : DIVERGE[model];
    case 'stubborn':
      return DIVERGE[model];
    case 'fusion':
      return model === 'm3' ? DIVERGE.m3 : CONVERGED;
    case 'one-fails':
      return model === 'm3' ? { status: 500 } : AGREE[model];
    case 'two-fail':
      return model === 'm1' ? AGREE[model] : { status: 500 };
    case 'all-fail':
      return { status: 503 };
    case 'slow-one':
      return model === 'm3' ? { text: AGREE[model], waitMs: 4000 } : AGREE[model];
    case 'slow':
      return { text: DIVERGE[model], waitMs: 900 };
    default:
      return AGREE[model];
  }
}

interface View {
  requestId: string;
  status: string;
  consensusDecision?: string;
  confidence?: string;
  agreementLevel?: number;
  cost?: number;
  latency?: number;
  createdAt: string;
  completedAt?: string;
  error?: { code: string; message: string; retryable: boolean };
  deliberation?: {
    strategy: string;
    synthesizedBy: string;
    agreementMethod: string;
    rounds: {
      round: number;
      agreement: number | null;
      members: { member: string; model: string; answer: string | null; latencyMs: number; cost: number; error: string | null }[];
    }[];
    synthesis: { model: string; cost: number } | null;
  };
}

describe('AI council API (e2e)', () => {
  const llm = new MockLlm(respond);
  let apps: AppProcess[] = [];
  let dir: string;
  let env: Record<string, string>;
  let runner: AppProcess;
  let a: string;
  let c: string;
  let d: string;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  const submit = (body: unknown, base = a, headers: Record<string, string> = {}) =>
    json<Record<string, unknown>>(`${base}/api/v1/requests`, { method: 'POST', body, headers });
  const view = (id: string, query = '', base = a, headers: Record<string, string> = {}) => json<View>(`${base}/api/v1/requests/${id}${query}`, { headers });
  /** 202 → poll until it is no longer processing. */
  async function council(body: Record<string, unknown>, base = a, headers: Record<string, string> = {}): Promise<View> {
    const accepted = await submit(body, base, headers);
    expect(accepted.status).toBe(202);
    const id = accepted.body.requestId as string;
    return eventually(async () => {
      const r = await view(id, '?include=deliberation', base, headers);
      return r.body.status !== 'processing' && r.body;
    }, 30_000);
  }
  const callsFor = (tag: string) => llm.calls.filter((call) => text(call).includes(tag));
  const costOf = (calls: LlmCall[]) =>
    calls.reduce((sum, call) => sum + (call.usage!.prompt_tokens * PRICE_IN + call.usage!.completion_tokens * PRICE_OUT) / 1e6, 0);
  const tag = () => `t${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    const llmUrl = await llm.start();
    dir = mkdtempSync(path.join(tmpdir(), 'council-'));
    const models = path.join(dir, 'models.yaml');
    const chat = (name: string) => `  - { name: ${name}, tier: 1, price_input_per_m: ${PRICE_IN}, price_output_per_m: ${PRICE_OUT} }`;
    writeFileSync(models, ['default: m1', 'models:', chat('m1'), chat('m2'), chat('m3'), '  - { name: embed, kind: embedding }', ''].join('\n'));
    env = testEnv({
      LLM_BASE_URL: llmUrl,
      LLM_MODELS_FILE: models,
      COUNCIL_MEMBERS: 'm1@0.2,m2@0.7,m3@1.0',
      COUNCIL_MEMBER_TIMEOUT_MS: '1500',
      COUNCIL_TIMEOUT_MS: '4000',
      COUNCIL_MIN_QUORUM: '2',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST_PER_SECOND: '100000',
      MAX_STREAMS_PER_CALLER: '1000',
      REDIS_KEY_PREFIX: `council-${Date.now().toString(36)}:`,
      WORKER_AGENT_ENABLED: 'false',
    });
    const authEnv = { ...env, REQUIRE_AUTH: 'true', AUTH_API_KEYS_ENABLED: 'true' };
    const limitedEnv = { ...env, RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_BURST_PER_SECOND: '100', REDIS_KEY_PREFIX: `council-rl-${Date.now().toString(36)}:` };
    [runner, ...apps] = await Promise.all([
      startService('job-runner', PORTS.runner, env),
      startService('gateway', PORTS.gatewayA, env),
      startService('gateway', PORTS.gatewayC, authEnv),
      startService('gateway', PORTS.gatewayD, limitedEnv),
    ]);
    [a, c, d] = [PORTS.gatewayA, PORTS.gatewayC, PORTS.gatewayD].map((p) => `http://127.0.0.1:${p}`);
    alice = bearer((await apikeyCli(authEnv, 'create', '--name', 'council-alice')).key as string);
    bob = bearer((await apikeyCli(authEnv, 'create', '--name', 'council-bob')).key as string);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([runner, ...apps].map((app) => app?.stop()));
    await llm.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts with 202 {requestId, status: processing, createdAt}, then completes by consensus-extraction (the default) with cost and latency', async () => {
    const t = tag();
    const accepted = await submit({ query: `What is the capital of France? ${t}` });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ requestId: expect.stringMatching(UUID), status: 'processing', createdAt: expect.any(String) });
    expect(accepted.headers.get('x-ratelimit-limit')).toBeTruthy();
    const id = accepted.body.requestId as string;
    const done = await eventually(async () => {
      const r = await view(id);
      expect(r.status).toBe(200);
      return r.body.status === 'completed' && r.body;
    }, 30_000);
    expect(done).toMatchObject({
      requestId: id,
      status: 'completed',
      consensusDecision: `Consensus: ${CONVERGED}`,
      confidence: 'high',
      createdAt: accepted.body.createdAt,
    });
    expect(done.agreementLevel).toBeGreaterThanOrEqual(0.8);
    expect(done.agreementLevel).toBeLessThanOrEqual(1);
    expect(done.deliberation).toBeUndefined();
    expect(Date.parse(done.completedAt!) - Date.parse(done.createdAt)).toBeGreaterThanOrEqual(0);
    expect(done.latency).toBeGreaterThan(0);
    expect(done.latency).toBeLessThanOrEqual(Date.parse(done.completedAt!) - Date.parse(done.createdAt) + 5);
    // Three members at their temperatures, then the synthesizer: cost is every call's usage × its price (the embedding model is free).
    const calls = callsFor(t);
    expect(calls.map((call) => `${call.model}@${call.temperature}`).sort()).toEqual(['m1@0.2', 'm1@0.2', 'm2@0.7', 'm3@1'].sort());
    expect(done.cost).toBeCloseTo(costOf(calls), 8);
    expect(done.cost).toBeGreaterThan(0);
    // Agreement was measured on embeddings of the three answers.
    expect(llm.embeddingCalls.some((e) => e.input.length === 3 && e.input.includes(AGREE.m2))).toBe(true);
    const full = await view(id, '?include=deliberation');
    expect(full.body.deliberation).toMatchObject({
      strategy: 'consensus-extraction',
      synthesizedBy: 'consensus-extraction',
      agreementMethod: 'embeddings',
      synthesis: { model: 'm1' },
    });
    expect(full.body.deliberation!.rounds).toHaveLength(1);
    expect(full.body.deliberation!.rounds[0].members.map((m) => m.answer).sort()).toEqual(Object.values(AGREE).sort());
  });

  it('meta-synthesis: a moderator writes the answer', async () => {
    const v = await council({ query: `Capital? ${tag()}`, synthesisStrategy: { type: 'meta-synthesis' } });
    expect(v).toMatchObject({ status: 'completed', consensusDecision: `Moderated: ${CONVERGED}` });
    expect(v.deliberation!.synthesizedBy).toBe('meta-synthesis');
  });

  it('weighted-fusion: the answer most agreed with wins, without another model call', async () => {
    const t = tag();
    const v = await council({ query: `[[council=fusion]] Capital? ${t}`, synthesisStrategy: { type: 'weighted-fusion' } });
    expect(v).toMatchObject({ status: 'completed', consensusDecision: CONVERGED });
    expect(v.deliberation!.synthesis).toBeNull();
    expect(callsFor(t)).toHaveLength(3);
    expect(v.confidence).toBe('low'); // two of three agree; the third shares nothing with them
  });

  it('iterative-consensus: rounds until agreement reaches the threshold, then stops', async () => {
    const t = tag();
    const v = await council({
      query: `[[council=diverge]] Capital? ${t}`,
      synthesisStrategy: { type: 'iterative-consensus', config: { maxRounds: 4, agreementThreshold: 0.9, fallbackStrategy: 'meta-synthesis' } },
    });
    expect(v).toMatchObject({ status: 'completed', consensusDecision: CONVERGED, confidence: 'high', agreementLevel: 1 });
    const rounds = v.deliberation!.rounds;
    expect(rounds.map((r) => r.round)).toEqual([1, 2]);
    expect(rounds[0].agreement!).toBeLessThan(0.5);
    expect(rounds[1].agreement).toBe(1);
    expect(v.deliberation!.synthesizedBy).toBe('iterative-consensus');
    // Parallel negotiation: each member revised seeing the others' first answers.
    const m1Revision = callsFor(t).find((call) => call.model === 'm1' && /Revise your answer/.test(text(call)))!;
    expect(text(m1Revision)).toContain(DIVERGE.m2);
    expect(text(m1Revision)).toContain(DIVERGE.m3);
    expect(m1Revision.messages.find((m) => m.role === 'assistant')?.content).toBe(DIVERGE.m1);
    expect(v.cost).toBeCloseTo(costOf(callsFor(t)), 8);
  });

  it('iterative-consensus, sequential: each member revises after the one before, seeing its new answer', async () => {
    const t = tag();
    const v = await council({
      query: `[[council=diverge]] Capital? ${t}`,
      synthesisStrategy: { type: 'iterative-consensus', config: { maxRounds: 3, agreementThreshold: 0.9, negotiationMode: 'sequential' } },
    });
    expect(v).toMatchObject({ status: 'completed', consensusDecision: CONVERGED });
    const m3Revision = callsFor(t).find((call) => call.model === 'm3' && /Revise your answer/.test(text(call)))!;
    const others = m3Revision.messages[m3Revision.messages.length - 1].content;
    expect(others.split(CONVERGED)).toHaveLength(3); // m1's and m2's revised answers, not their first ones
    expect(others).not.toContain(DIVERGE.m1);
  });

  it('iterative-consensus falls back to its fallback strategy when the threshold is never reached', async () => {
    const v = await council({
      query: `[[council=stubborn]] Capital? ${tag()}`,
      synthesisStrategy: { type: 'iterative-consensus', config: { maxRounds: 3, agreementThreshold: 0.9, fallbackStrategy: 'consensus-extraction' } },
    });
    expect(v).toMatchObject({ status: 'completed', consensusDecision: `Consensus: ${CONVERGED}`, confidence: 'low' });
    expect(v.deliberation!.rounds).toHaveLength(3);
    expect(v.deliberation!.synthesizedBy).toBe('consensus-extraction');
  });

  it('drops a failing or timed-out member for the round and still answers with the quorum', async () => {
    const failing = await council({ query: `[[council=one-fails]] Capital? ${tag()}` });
    expect(failing.status).toBe('completed');
    const m3 = failing.deliberation!.rounds[0].members.find((m) => m.model === 'm3')!;
    expect(m3).toMatchObject({ answer: null, cost: 0, error: expect.stringContaining('500') });
    const slow = await council({ query: `[[council=slow-one]] Capital? ${tag()}`, synthesisStrategy: { type: 'weighted-fusion' } });
    expect(slow.status).toBe('completed');
    const late = slow.deliberation!.rounds[0].members.find((m) => m.model === 'm3')!;
    expect(late.error).toMatch(/timed out after 1500 ms/);
    expect(late.latencyMs).toBeGreaterThanOrEqual(1400);
    expect(late.latencyMs).toBeLessThan(3500);
  });

  it('fails MINIMUM_QUORUM_NOT_MET below the quorum and ALL_PROVIDERS_FAILED when nobody answers (retryable)', async () => {
    const quorum = await council({ query: `[[council=two-fail]] Capital? ${tag()}` });
    expect(quorum).toMatchObject({ status: 'failed', error: { code: 'MINIMUM_QUORUM_NOT_MET', retryable: true } });
    expect(quorum.consensusDecision).toBeUndefined();
    expect(quorum.cost).toBeGreaterThan(0); // m1's answer was paid for
    const none = await council({ query: `[[council=all-fail]] Capital? ${tag()}` });
    expect(none).toMatchObject({ status: 'failed', error: { code: 'ALL_PROVIDERS_FAILED', retryable: true }, cost: 0 });
    // The stream of a failed request ends with its error in the envelope.
    const s = await readSse(`${a}/api/v1/requests/${none.requestId}/stream`);
    const last = s.frames[s.frames.length - 1];
    expect(last.event).toBe('error');
    expect(JSON.parse(last.data)).toMatchObject({ error: { code: 'ALL_PROVIDERS_FAILED', retryable: true, details: {} }, requestId: none.requestId });
  });

  it('fails TIMEOUT past COUNCIL_TIMEOUT_MS', async () => {
    const started = Date.now();
    const v = await council({
      query: `[[council=slow]] Capital? ${tag()}`,
      synthesisStrategy: { type: 'iterative-consensus', config: { maxRounds: 10, agreementThreshold: 0.99 } },
    });
    expect(v).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT', retryable: true } });
    expect(v.latency).toBeGreaterThanOrEqual(4000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(v.deliberation!.rounds.length).toBeGreaterThanOrEqual(3);
  });

  it("gives the session's earlier queries and decisions to the members, and only that owner's", async () => {
    const session = `s-${tag()}`;
    const first = await council({ query: `What is the capital of France? ${tag()}`, sessionId: session });
    expect(first.status).toBe('completed');
    const t = tag();
    const second = await council({ query: `And its population? ${t}`, sessionId: session });
    expect(second.status).toBe('completed');
    const memberCalls = callsFor(t).filter((call) => !/synthesizer of a council/.test(call.messages[0].content));
    expect(memberCalls).toHaveLength(3);
    for (const call of memberCalls) {
      expect(text(call)).toContain('What is the capital of France?');
      expect(text(call)).toContain(`Council decision: Consensus: ${CONVERGED}`);
    }
    // Another session, or the same session id of another caller, carries nothing.
    const t2 = tag();
    await council({ query: `Unrelated ${t2}`, sessionId: session }, c, alice);
    for (const call of callsFor(t2)) expect(text(call)).not.toContain('What is the capital of France?');
  });

  it('streams progress, the synthesized answer as chunks, then complete; each frame has an id and Last-Event-ID resumes exactly', async () => {
    const v = await council({ query: `Capital? ${tag()}` });
    const s = await readSse(`${a}/api/v1/requests/${v.requestId}/stream`);
    expect(s.status).toBe(200);
    const events = s.frames.map((f) => f.event);
    expect(events[0]).toBe('progress');
    expect(events[events.length - 1]).toBe('complete');
    const progress = s.frames.filter((f) => f.event === 'progress').map((f) => JSON.parse(f.data) as { status: string; message: string });
    expect(progress.map((p) => p.status)).toEqual(['distributing', 'deliberating', 'synthesizing']);
    expect(progress[1].message).toBe('Round 1 of 1');
    const firstChunk = events.indexOf('chunk');
    expect(firstChunk).toBeGreaterThan(events.lastIndexOf('progress'));
    expect(
      s.frames
        .filter((f) => f.event === 'chunk')
        .map((f) => (JSON.parse(f.data) as { content: string }).content)
        .join(''),
    ).toBe(v.consensusDecision);
    expect(JSON.parse(s.frames[s.frames.length - 1].data)).toEqual({
      requestId: v.requestId,
      status: 'completed',
      consensusDecision: v.consensusDecision,
      confidence: v.confidence,
      agreementLevel: v.agreementLevel,
      cost: v.cost,
      latency: v.latency,
      completedAt: v.completedAt,
    });
    const ids = s.frames.map((f) => Number(f.id));
    expect(ids.every((id, i) => Number.isInteger(id) && (i === 0 || id > ids[i - 1]))).toBe(true);
    const resumed = await readSse(`${a}/api/v1/requests/${v.requestId}/stream`, { headers: { 'Last-Event-ID': String(ids[1]) } });
    expect(resumed.frames).toEqual(s.frames.slice(2));
    const nothingLeft = await readSse(`${a}/api/v1/requests/${v.requestId}/stream`, { headers: { 'Last-Event-ID': String(ids[ids.length - 1]) } });
    expect(nothingLeft.status).toBe(204);
  });

  it('streams live while the council deliberates, and DELETE cancels a processing request', async () => {
    const accepted = await submit({
      query: `[[council=slow]] Capital? ${tag()}`,
      synthesisStrategy: { type: 'iterative-consensus', config: { maxRounds: 10, agreementThreshold: 0.99 } },
    });
    const id = accepted.body.requestId as string;
    const s = await readSse(`${a}/api/v1/requests/${id}/stream`, { until: (frames) => frames.some((f) => f.data.includes('Round 2 of 10')) });
    expect(s.frames.map((f) => f.event)).toEqual(['progress', 'progress', 'progress']);
    const cancelled = await json<View>(`${a}/api/v1/requests/${id}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ requestId: id, status: 'failed', error: { code: 'CANCELLED', retryable: false } });
    // A round may have begun before the cancel landed; nothing else follows but the error.
    const after = await readSse(`${a}/api/v1/requests/${id}/stream`, { headers: { 'Last-Event-ID': s.frames[2].id! } });
    const events = after.frames.map((f) => f.event);
    expect(events[events.length - 1]).toBe('error');
    expect(events.slice(0, -1).every((e) => e === 'progress')).toBe(true);
    expect(JSON.parse(after.frames[after.frames.length - 1].data)).toMatchObject({ error: { code: 'CANCELLED', retryable: false }, requestId: id });
  });

  it("lists the caller's requests in the pagination envelope", async () => {
    const first = await json<{ data: View[]; pagination: Record<string, unknown> }>(`${a}/api/v1/requests?limit=2&offset=0`);
    expect(first.status).toBe(200);
    const total = first.body.pagination.total as number;
    expect(total).toBeGreaterThanOrEqual(10);
    expect(first.body.pagination).toEqual({ limit: 2, offset: 0, total, hasMore: true });
    expect(first.body.data).toHaveLength(2);
    expect(Date.parse(first.body.data[0].createdAt)).toBeGreaterThanOrEqual(Date.parse(first.body.data[1].createdAt));
    const second = await json<{ data: View[] }>(`${a}/api/v1/requests?limit=2&offset=1`);
    expect(second.body.data[0].requestId).toBe(first.body.data[1].requestId);
    const end = await json<{ data: View[]; pagination: Record<string, unknown> }>(`${a}/api/v1/requests?offset=${total - 1}`);
    expect(end.body.pagination).toEqual({ limit: 20, offset: total - 1, total, hasMore: false });
    expect(end.body.data).toHaveLength(1);
    const tooMany = await json<Record<string, unknown>>(`${a}/api/v1/requests?limit=101`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ error: { code: 'INVALID_REQUEST', retryable: false } });
  });

  it('answers validation and not-found failures in the envelope', async () => {
    const envelope = (code: string) => ({
      error: { code, message: expect.any(String), details: expect.any(Object), retryable: false },
      requestId: expect.any(String),
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    for (const body of [
      {},
      { query: '' },
      { query: 'q', synthesisStrategy: { type: 'majority-vote' } },
      { query: 'q', synthesisStrategy: { type: 'iterative-consensus', config: { maxRounds: 0 } } },
      { query: 'q', synthesisStrategy: { type: 'iterative-consensus', config: { agreementThreshold: 2 } } },
      { query: 'q', synthesisStrategy: { type: 'iterative-consensus', config: { embeddingModel: 'no-such-model' } } },
      { query: 'q', unknown: 1 },
    ]) {
      const r = await submit(body);
      expect([r.status, body]).toEqual([400, body]);
      expect(r.body).toEqual(envelope('INVALID_REQUEST'));
    }
    const malformed = await submit('{"query": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual(envelope('INVALID_REQUEST'));
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-request']) {
      const r = await view(id);
      expect(r.status).toBe(404);
      expect(r.body).toEqual(envelope('NOT_FOUND'));
      expect((r.body as unknown as { requestId: string }).requestId).toBe(r.headers.get('x-request-id'));
    }
    const openapi = await json<{ paths: Record<string, Record<string, unknown>> }>(`${a}/openapi.json`);
    expect(Object.keys(openapi.body.paths['/api/v1/requests']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(openapi.body.paths['/api/v1/requests/{requestId}']).sort()).toEqual(['delete', 'get']);
    expect(openapi.body.paths['/api/v1/requests/{requestId}/stream']).toBeDefined();
    const unknownRoute = await json(`${a}/api/v1/nothing-here`);
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body).toEqual(envelope('NOT_FOUND'));
  });

  it('answers 401 in the envelope and keeps requests to their owner (another caller gets 404)', async () => {
    const anonymous = await submit({ query: 'q' }, c);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: { code: 'UNAUTHORIZED', retryable: false }, requestId: expect.any(String), timestamp: expect.any(String) });
    const mine = await council({ query: `Capital? ${tag()}` }, c, alice);
    expect(mine.status).toBe('completed');
    for (const [method, url] of [
      ['GET', `/api/v1/requests/${mine.requestId}`],
      ['GET', `/api/v1/requests/${mine.requestId}/stream`],
      ['DELETE', `/api/v1/requests/${mine.requestId}`],
      ['POST', `/api/v1/requests/${mine.requestId}/stream-ticket`],
    ]) {
      const r = await json<Record<string, unknown>>(`${c}${url}`, { method, headers: bob });
      expect([method, url, r.status]).toEqual([method, url, 404]);
      expect(r.body).toMatchObject({ error: { code: 'NOT_FOUND', retryable: false } });
    }
    const bobsList = await json<{ data: View[] }>(`${c}/api/v1/requests`, { headers: bob });
    expect(bobsList.body.data.map((r) => r.requestId)).not.toContain(mine.requestId);
    // A browser's way in: a stream ticket opens the stream without the Authorization header.
    const ticket = await json<{ streamUrl: string }>(`${c}/api/v1/requests/${mine.requestId}/stream-ticket`, { method: 'POST', headers: alice });
    expect(ticket.status).toBe(200);
    const s = await readSse(`${c}${ticket.body.streamUrl}`);
    expect(s.status).toBe(200);
    expect(s.frames[s.frames.length - 1].event).toBe('complete');
  });

  it('sends X-RateLimit headers on every reply and refuses past the limit with 429 RATE_LIMIT_EXCEEDED and Retry-After', async () => {
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await json<Record<string, unknown>>(`${d}/api/v1/requests`));
    for (const r of replies) {
      expect(r.headers.get('x-ratelimit-limit')).toBe('3');
      expect(r.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
      expect(r.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
    }
    expect(replies.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    const limited = replies[3];
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({
      error: { code: 'RATE_LIMIT_EXCEEDED', retryable: true },
      requestId: expect.any(String),
      timestamp: expect.any(String),
    });
  });

  it('without COUNCIL_MEMBERS: three members on the default model at 0.2, 0.7 and 1.0, agreement by TF-IDF without an embedding model', async () => {
    await runner.stop();
    runner = await startService('job-runner', PORTS.runner2, { ...env, LLM_MODELS_FILE: '', COUNCIL_MEMBERS: '', LLM_MODEL: 'm2' });
    const t = tag();
    const v = await council({ query: `Capital? ${t}` });
    expect(v).toMatchObject({ status: 'completed', consensusDecision: `Consensus: ${CONVERGED}` });
    expect(v.deliberation!.agreementMethod).toBe('tf-idf');
    const members = callsFor(t).filter((call) => !/synthesizer of a council/.test(call.messages[0].content));
    expect(members.map((call) => `${call.model}@${call.temperature}`).sort()).toEqual(['m2@0.2', 'm2@0.7', 'm2@1']);
    expect(v.agreementLevel).toBe(1); // the three answers are identical
  }, 90_000);

  it('without any model the request fails cleanly with SERVICE_UNAVAILABLE (retryable)', async () => {
    await runner.stop();
    runner = await startService('job-runner', PORTS.runner3, { ...env, LLM_MODELS_FILE: '', COUNCIL_MEMBERS: '', LLM_BASE_URL: '' });
    const v = await council({ query: `Capital? ${tag()}` });
    expect(v).toMatchObject({ status: 'failed', error: { code: 'SERVICE_UNAVAILABLE', retryable: true }, cost: 0 });
  }, 90_000);
});
