import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import pg from 'pg';
import { eventually, json } from '../../support/http';
import { MockLlm } from '../../support/mock-llm';
import { startService, testEnv, type AppProcess } from '../../support/services';
import { readSse, type SseFrame } from '../../support/sse';
import { apikeyCli, bearer } from '../security/support';

/**
 * The agentUniverse service API and the OpenAI-compatible front (docs/service-api.md) over real
 * processes: gateway A (no auth) and gateway B (no auth, CHAT_CANCEL_ON_DISCONNECT) in front of
 * runner A, which runs no jobs (JOB_CONCURRENCY=0), and runner B, which runs them all — so every call
 * on gateway A is answered while its job runs on the runner behind gateway B. Gateway C requires API
 * keys (owner isolation, 401 and 429 in each API's error shape). A local OpenAI-compatible server is
 * the model; `[[tokens=N delay=MS]]` in an input makes a run slow, `[[fail]]` makes it fail.
 */
jest.setTimeout(60_000);

const PORTS = { gatewayA: 18500, runnerA: 18501, gatewayB: 18504, runnerB: 18505, gatewayC: 18508, badRunner: 18509 };
const TIMEOUT_MS = 3000;
const HEX32 = /^[0-9a-f]{32}$/;

describe('service API and OpenAI-compatible front (e2e)', () => {
  const llm = new MockLlm();
  const apps: AppProcess[] = [];
  let dir: string;
  let env: Record<string, string>;
  let a: string;
  let b: string;
  let c: string;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let aliceKey: string;

  beforeAll(async () => {
    const llmUrl = await llm.start();
    dir = mkdtempSync(path.join(tmpdir(), 'svcapi-'));
    const servicesFile = path.join(dir, 'services.yaml');
    writeFileSync(
      servicesFile,
      [
        'services:',
        '  - service_id: demo_service',
        '    agent_type: echo',
        "    description: 'A demo service used for explaining.'",
        '  - service_id: slow_service',
        '    agent_type: shallow_researcher',
        '    description: A model-backed service (the mock model decides how slowly it answers).',
        '    options: { tone: plain, style: short }',
        '',
      ].join('\n'),
    );
    env = testEnv({
      SERVICES_FILE: servicesFile,
      LLM_BASE_URL: llmUrl,
      LLM_MODEL: 'mock-model',
      SERVICE_RUN_TIMEOUT_MS: String(TIMEOUT_MS),
      // A waiter that missed the live event would only notice on this period: the sync calls below answer far sooner.
      SSE_KEEPALIVE_MS: '15000',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST_PER_SECOND: '100000',
      MAX_STREAMS_PER_CALLER: '1000',
      REDIS_KEY_PREFIX: `svcapi-${Date.now().toString(36)}:`,
      WORKER_AGENT_ENABLED: 'false',
    });
    const authEnv = { ...env, REQUIRE_AUTH: 'true', AUTH_API_KEYS_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST_PER_SECOND: '30' };
    apps.push(
      ...(await Promise.all([
        startService('job-runner', PORTS.runnerA, { ...env, JOB_CONCURRENCY: '0' }),
        startService('job-runner', PORTS.runnerB, env),
        startService('gateway', PORTS.gatewayA, env),
        startService('gateway', PORTS.gatewayB, { ...env, CHAT_CANCEL_ON_DISCONNECT: 'true' }),
        startService('gateway', PORTS.gatewayC, authEnv),
      ])),
    );
    [a, b, c] = [PORTS.gatewayA, PORTS.gatewayB, PORTS.gatewayC].map((p) => `http://127.0.0.1:${p}`);
    aliceKey = (await apikeyCli(authEnv, 'create', '--name', 'svc-alice')).key as string;
    alice = bearer(aliceKey);
    bob = bearer((await apikeyCli(authEnv, 'create', '--name', 'svc-bob')).key as string);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await llm.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const post = (base: string, route: string, body: unknown, headers: Record<string, string> = {}) =>
    json<Record<string, unknown>>(`${base}${route}`, { method: 'POST', body, headers });
  const get = (base: string, route: string, headers: Record<string, string> = {}) => json<Record<string, unknown>>(`${base}${route}`, { headers });
  const slow = (tokens: number, delay: number) => `slow [[tokens=${tokens} delay=${delay}]] ${Math.random()}`;
  const resultOf = (base: string, id: string, headers: Record<string, string> = {}) =>
    json<{ result: { state: string; result: unknown; steps: unknown[] } }>(`${base}/service_run_result?request_id=${id}`, { headers });
  const waitState = (base: string, id: string, state: string, headers: Record<string, string> = {}) =>
    eventually(async () => (await resultOf(base, id, headers)).body.result?.state === state, 20_000, 200);
  const payloads = (frames: SseFrame[]) => frames.map((f) => JSON.parse(f.data) as Record<string, unknown>);
  const tokens = (frames: SseFrame[]) =>
    payloads(frames)
      .map((p) => p.process)
      .filter((p): p is string => typeof p === 'string')
      .join('');

  describe('the examples of the document, with their exact replies', () => {
    it('POST /service_run blocks until the result', async () => {
      const res = await post(a, '/service_run', { service_id: 'demo_service', params: { input: 'Hello!' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, result: 'Your input is Hello!.', message: null, request_id: expect.stringMatching(HEX32) });
      expect(Object.keys(res.body)).toEqual(['success', 'result', 'message', 'request_id']);
    });

    it('POST /service_run_stream streams the steps and the result, with X-Request-ID', async () => {
      const stream = await readSse(`${a}/service_run_stream`, { body: { service_id: 'demo_service', params: { input: 'Hello!' } } });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const id = stream.headers.get('x-request-id')!;
      expect(id).toMatch(HEX32);
      const frames = payloads(stream.frames);
      expect(tokens(stream.frames)).toBe('Your input is Hello!.');
      expect(frames[0]).toEqual({ process: { type: 'workflow.start', timestamp: expect.any(String), data: { name: 'echo' } } });
      expect(frames[frames.length - 1]).toEqual({ result: 'Your input is Hello!.' });
      expect(frames.every((f) => Object.keys(f).length === 1 && ('process' in f || 'result' in f))).toBe(true);
      // Every frame has an id, strictly increasing (the resume point).
      const ids = stream.frames.map((f) => Number(f.id));
      expect(ids.every((n, i) => Number.isInteger(n) && (i === 0 || n > ids[i - 1]))).toBe(true);
      expect((await resultOf(a, id)).body.result.state).toBe('finished');
    });

    it('POST /service_run_async answers at once; GET /service_run_result gives the result, state and steps', async () => {
      const started = await post(a, '/service_run_async', { service_id: 'demo_service', params: { input: 'Hello!' } });
      expect(started.status).toBe(200);
      expect(started.body).toEqual({ success: true, result: null, message: null, request_id: expect.stringMatching(HEX32) });
      const id = started.body.request_id as string;
      await waitState(a, id, 'finished');
      const res = await resultOf(a, id);
      expect(res.status).toBe(200);
      // The document's example says "finish"; its own TaskStateEnum (and the original server) say "finished".
      expect(res.body).toEqual({
        success: true,
        result: {
          result: 'Your input is Hello!.',
          state: 'finished',
          steps: [
            { type: 'workflow', name: 'echo', done: true },
            { type: 'llm', model: 'echo', text: 'Your input is Hello!.', done: true },
          ],
        },
        message: null,
        request_id: id,
      });
    });

    it('GET /agent/list lists the services as the original server does', async () => {
      const res = await get(a, '/agent/list');
      expect(res.body).toEqual({
        success: true,
        data: [
          { agent_name: 'echo', service_id: 'demo_service', description: 'A demo service used for explaining.' },
          { agent_name: 'shallow_researcher', service_id: 'slow_service', description: expect.any(String) },
        ],
      });
    });
  });

  describe('runs', () => {
    it('reads the input from the first present key (here `question`), passes params to the agent over the service defaults, accepts `saved`', async () => {
      const params = { question: 'which key? [[tokens=2]]', tone: 'loud', depth: 2 };
      const res = await post(a, '/service_run', { service_id: 'slow_service', params, saved: false });
      expect(res.body).toMatchObject({ success: true, result: expect.stringContaining('tok1') });
      // The job's agent options (what the agent gets as ctx.options): params over the service's `options: { tone: plain, style: short }`.
      const db = new pg.Client({ connectionString: env.DATABASE_URL });
      await db.connect();
      try {
        const { rows } = await db.query<{ agent_type: string; input: string; options: { agent_options: unknown } }>(
          'SELECT agent_type, input, options FROM job_runner.jobs WHERE id = $1',
          [res.body.request_id],
        );
        expect(rows[0]).toMatchObject({ agent_type: 'shallow_researcher', input: params.question });
        expect(rows[0].options.agent_options).toEqual({ tone: 'loud', style: 'short', question: params.question, depth: 2 });
      } finally {
        await db.end();
      }
      expect(llm.calls.some((call) => call.messages.some((m) => m.content.includes('which key?')))).toBe(true);
    });

    it('answers the sync call on gateway A while the job runs behind gateway B, woken by the live event', async () => {
      const t0 = Date.now();
      const res = await post(a, '/service_run', { service_id: 'slow_service', params: { input: slow(8, 100) } });
      const elapsed = Date.now() - t0;
      expect(res.body).toMatchObject({ success: true, result: expect.stringContaining('tok7'), message: null });
      expect(elapsed).toBeGreaterThanOrEqual(700); // it really waited for the run …
      expect(elapsed).toBeLessThan(TIMEOUT_MS); // … and was answered by the event, not by the 15 s re-check
    });

    it('answers 504 past SERVICE_RUN_TIMEOUT_MS; the run goes on and its result stays readable', async () => {
      const t0 = Date.now();
      const res = await post(a, '/service_run', { service_id: 'slow_service', params: { input: slow(25, 200) } });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
      expect(res.status).toBe(504);
      expect(res.body).toEqual({ success: false, result: null, message: 'sync service timeout', request_id: expect.stringMatching(HEX32) });
      const id = res.body.request_id as string;
      expect((await resultOf(a, id)).body.result.state).toBe('running');
      await waitState(a, id, 'finished');
      const done = await resultOf(a, id);
      expect(done.body.result.result).toEqual(expect.stringContaining('tok24'));
      expect(done.body.result.steps).toEqual(
        expect.arrayContaining([{ type: 'llm', model: 'mock-model', step: 'answer', text: expect.stringContaining('tok0 tok1'), done: true }]),
      );
    });

    it('answers success:false with the error when the run fails', async () => {
      const res = await post(a, '/service_run', { service_id: 'slow_service', params: { input: 'please [[fail]]' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: false,
        result: null,
        message: expect.stringContaining('mock model failure'),
        request_id: expect.stringMatching(HEX32),
      });
      const result = await resultOf(a, res.body.request_id as string);
      expect(result.body.result).toMatchObject({ state: 'fail', result: { error_msg: expect.stringContaining('mock model failure') } });
      expect(result.body.result.steps).toEqual(expect.arrayContaining([{ type: 'error', message: expect.stringContaining('mock model failure') }]));
      const stream = await readSse(`${a}/service_run_stream`, { body: { service_id: 'slow_service', params: { input: 'again [[fail]]' } } });
      expect(payloads(stream.frames).pop()).toEqual({ error: { error_msg: expect.stringContaining('mock model failure') } });
    });

    it('cancels a run: the stream ends with the error and the state is canceled; a finished run is a 409', async () => {
      const res = await fetch(`${a}/service_run_stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service_id: 'slow_service', params: { input: slow(100, 50) } }),
      });
      const id = res.headers.get('x-request-id')!;
      expect(id).toMatch(HEX32);
      await waitState(a, id, 'running');
      const cancelled = await post(a, '/service_run_cancel', { request_id: id });
      expect(cancelled.body).toEqual({ success: true, result: { state: 'canceled' }, message: null, request_id: id });
      const text = await res.text();
      expect(text.trim().split('\n\n').pop()).toMatch(/^id: \d+\ndata:\{"error":\{"error_msg":"Cancelled by request"\}\}$/);
      expect((await resultOf(a, id)).body.result).toMatchObject({ state: 'canceled', result: { error_msg: 'Cancelled by request' } });
      // Cancelling again says the same; cancelling a run that finished is a 409.
      expect((await post(a, '/service_run_cancel', { request_id: id })).body).toEqual(cancelled.body);
      const finished = (await post(a, '/service_run', { service_id: 'demo_service', params: { input: 'done' } })).body.request_id as string;
      const late = await post(a, '/service_run_cancel', { request_id: finished });
      expect(late.status).toBe(409);
      expect(late.body).toEqual({ success: false, result: null, message: `request ${finished} already ended (state finished)`, request_id: null });
    });
  });

  describe('stream resume', () => {
    it('resumes exactly after Last-Event-ID, on another gateway too, and answers 204 once nothing is left', async () => {
      const first = await readSse(`${a}/service_run_stream`, {
        body: { service_id: 'slow_service', params: { input: slow(30, 40) } },
        until: (frames) => tokens(frames).includes('tok5'),
      });
      const id = first.headers.get('x-request-id')!;
      expect(first.ended).toBe(false);
      const lastId = first.frames[first.frames.length - 1].id!;
      const rest = await readSse(`${b}/service_run_stream?request_id=${id}`, { headers: { 'Last-Event-ID': lastId } });
      expect(rest.status).toBe(200);
      expect(rest.headers.get('x-request-id')).toBe(id);
      expect(Number(rest.frames[0].id)).toBeGreaterThan(Number(lastId));
      const whole = await readSse(`${a}/service_run_stream?request_id=${id}`);
      // Nothing lost, nothing repeated: the two halves are the whole stream.
      expect([...first.frames, ...rest.frames]).toEqual(whole.frames);
      expect(tokens(whole.frames)).toBe(Array.from({ length: 30 }, (_, i) => `tok${i} `).join(''));
      expect(payloads(whole.frames).pop()).toEqual({ result: expect.stringContaining('tok29') });
      const end = whole.frames[whole.frames.length - 1].id!;
      expect((await readSse(`${a}/service_run_stream?request_id=${id}`, { headers: { 'Last-Event-ID': end } })).status).toBe(204);
    });
  });

  describe('the OpenAI-compatible front, through the openai SDK', () => {
    const client = (base: string, apiKey = 'unused') => new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0 });

    it('lists the services as models', async () => {
      const models = await client(a).models.list();
      expect(models.data.map((m) => m.id)).toEqual(['demo_service', 'slow_service']);
      expect((await client(a).models.retrieve('demo_service')).id).toBe('demo_service');
    });

    it('answers a non-streaming completion', async () => {
      const { data, response } = await client(a)
        .chat.completions.create({ model: 'demo_service', messages: [{ role: 'user', content: 'Hello!' }], temperature: 0.1 })
        .withResponse();
      expect(data.object).toBe('chat.completion');
      expect(data.model).toBe('demo_service');
      expect(data.choices[0].message).toEqual({ role: 'assistant', content: 'Your input is Hello!.', refusal: null });
      expect(data.choices[0].finish_reason).toBe('stop');
      const id = response.headers.get('x-request-id')!;
      expect(data.id).toBe(`chatcmpl-${id}`);
      expect((await resultOf(a, id)).body.result.state).toBe('finished');
    });

    it('streams a completion as chat.completion.chunk frames', async () => {
      const stream = await client(b).chat.completions.create({
        model: 'demo_service',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'Hello!' },
        ],
        stream: true,
      });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.map((ch) => ch.choices[0].delta.content ?? '').join('')).toBe('Your input is Hello!.');
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks.every((ch) => ch.object === 'chat.completion.chunk' && ch.id === chunks[0].id)).toBe(true);
      expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
    });

    it('streams a model-backed service token by token, and raises a failed run', async () => {
      const stream = await client(a).chat.completions.create({ model: 'slow_service', messages: [{ role: 'user', content: slow(5, 10) }], stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0].delta.content ?? '';
      expect(text).toBe('tok0 tok1 tok2 tok3 tok4 ');
      const failing = await client(a).chat.completions.create({ model: 'slow_service', messages: [{ role: 'user', content: '[[fail]]' }], stream: true });
      await expect(
        (async () => {
          for await (const _ of failing) void _;
        })(),
      ).rejects.toThrow(/mock model failure/);
      await expect(client(a).chat.completions.create({ model: 'slow_service', messages: [{ role: 'user', content: '[[fail]]' }] })).rejects.toMatchObject({
        status: 500,
      });
    });

    it("answers an unknown model with OpenAI's 404, and a bad body with its 400", async () => {
      await expect(client(a).chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
        status: 404,
        code: 'model_not_found',
        type: 'invalid_request_error',
      });
      const raw = await post(a, '/v1/chat/completions', { model: 'gpt-nope', messages: [{ role: 'user', content: 'x' }], stream: true });
      expect(raw.status).toBe(404);
      expect(raw.body).toEqual({
        error: { message: "The model 'gpt-nope' does not exist", type: 'invalid_request_error', param: null, code: 'model_not_found' },
      });
      expect((await get(a, '/v1/models/gpt-nope')).status).toBe(404);
      for (const body of [
        { model: 'demo_service' },
        { model: 'demo_service', messages: [{ role: 'assistant', content: 'x' }] },
        { messages: [] },
        '{"model":',
      ]) {
        const res = await post(a, '/v1/chat/completions', body, typeof body === 'string' ? { 'content-type': 'application/json' } : {});
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_request' } });
      }
    });

    it('serves the original path /chat/completions too', async () => {
      const res = await post(a, '/chat/completions', { model: 'demo_service', messages: [{ role: 'user', content: 'Hi' }] });
      expect(res.body).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'Your input is Hi.' } }] });
    });

    it('does not cancel the run when the client disconnects, unless CHAT_CANCEL_ON_DISCONNECT', async () => {
      const run = async (base: string) => {
        const ac = new AbortController();
        const { data: stream, response } = await client(base)
          .chat.completions.create({ model: 'slow_service', messages: [{ role: 'user', content: slow(40, 50) }], stream: true }, { signal: ac.signal })
          .withResponse();
        for await (const chunk of stream) if (chunk.choices[0].delta.content?.includes('tok2')) break; // leaves the stream
        return response.headers.get('x-request-id')!;
      };
      const kept = await run(a);
      const cancelled = await run(b); // gateway B: CHAT_CANCEL_ON_DISCONNECT=true
      await waitState(a, cancelled, 'canceled');
      await waitState(a, kept, 'finished');
    }, 60_000);
  });

  describe('the error envelope for each bad input (never a 5xx)', () => {
    const envelope = (message: RegExp | string) => ({
      success: false,
      result: null,
      message: typeof message === 'string' ? message : expect.stringMatching(message),
      request_id: null,
    });
    const cases: [string, unknown, number, RegExp | string][] = [
      ['unknown service', { service_id: 'no_such_service', params: { input: 'x' } }, 404, 'service no_such_service not found'],
      ['missing service_id', { params: { input: 'x' } }, 422, /service_id/],
      ['empty service_id', { service_id: '', params: { input: 'x' } }, 422, /service_id/],
      ['missing params', { service_id: 'demo_service' }, 422, /params must be an object/],
      ['params a string', { service_id: 'demo_service', params: 'Hello!' }, 422, /params must be an object/],
      ['params a list', { service_id: 'demo_service', params: ['Hello!'] }, 422, /params must be an object/],
      ['params null', { service_id: 'demo_service', params: null }, 422, /params must be an object/],
      ['no input in params', { service_id: 'demo_service', params: { text: 'x' } }, 422, /^params must contain the agent's input as one of input, query/],
      ['input not a string', { service_id: 'demo_service', params: { input: 42 } }, 422, 'params.input must be a non-empty string'],
      ['empty input', { service_id: 'demo_service', params: { query: '' } }, 422, 'params.query must be a non-empty string'],
      ['bad collections', { service_id: 'demo_service', params: { input: 'x', collections: 'docs' } }, 422, /^params.collections/],
      ['saved not a boolean', { service_id: 'demo_service', params: { input: 'x' }, saved: 'yes' }, 422, /saved must be a boolean/],
      ['unknown field', { service_id: 'demo_service', params: { input: 'x' }, priority: 1 }, 422, /property priority should not exist/],
      ['NUL character', { service_id: 'demo_service', params: { input: 'a\u0000b' } }, 422, /NUL/],
      ['a list body', [1, 2], 422, /service_id/],
      ['oversize', { service_id: 'demo_service', params: { input: 'x'.repeat(2 * 1024 * 1024) } }, 413, 'Request body too large'],
    ];

    it.each(['/service_run', '/service_run_async', '/service_run_stream'])('%s', async (route) => {
      for (const [what, body, status, message] of cases) {
        const res = await post(a, route, body);
        expect({ what, status: res.status, body: res.body }).toEqual({ what, status, body: envelope(message) });
      }
      const malformed = await post(a, route, '{"service_id": "demo_service",', { 'content-type': 'application/json' });
      expect([malformed.status, malformed.body]).toEqual([400, envelope(/JSON/)]);
    });

    it('bad request ids on result, stream and cancel', async () => {
      const unknown = 'f'.repeat(32);
      const checks: [Promise<{ status: number; body: unknown }>, number, RegExp | string][] = [
        [get(a, '/service_run_result'), 422, 'request_id is required'],
        [get(a, '/service_run_result?request_id=not-an-id'), 404, 'request not-an-id not found'],
        [get(a, `/service_run_result?request_id=${unknown}`), 404, `request ${unknown} not found`],
        [get(a, `/service_run_result?request_id=${unknown.toUpperCase()}`), 404, /not found/],
        [get(a, `/service_run_stream?request_id=${unknown}`), 404, `request ${unknown} not found`],
        [get(a, '/service_run_stream'), 422, 'request_id is required'],
        [get(a, `/service_run_stream?request_id=${unknown}`, { 'Last-Event-ID': 'abc' }), 422, /Last-Event-ID/],
        [post(a, '/service_run_cancel', { request_id: unknown }), 404, `request ${unknown} not found`],
        [post(a, '/service_run_cancel', {}), 422, /request_id/],
        [post(a, '/service_run_cancel', { request_id: unknown, force: true }), 422, /property force should not exist/],
      ];
      for (const [pending, status, message] of checks) {
        const res = await pending;
        expect({ status: res.status, body: res.body }).toEqual({ status, body: envelope(message) });
      }
    });
  });

  describe('auth, owner isolation and rate limits (gateway C requires API keys)', () => {
    it('keeps one caller’s runs from another: 404 on result, stream and cancel', async () => {
      const started = await post(c, '/service_run_async', { service_id: 'slow_service', params: { input: slow(20, 50) } }, alice);
      expect(started.status).toBe(200);
      expect(started.headers.get('x-ratelimit-limit')).toBeTruthy();
      const id = started.body.request_id as string;
      const hidden = { success: false, result: null, message: `request ${id} not found`, request_id: null };
      expect(await resultOf(c, id, bob)).toMatchObject({ status: 404, body: hidden });
      expect(await get(c, `/service_run_stream?request_id=${id}`, bob)).toMatchObject({ status: 404, body: hidden });
      expect(await post(c, '/service_run_cancel', { request_id: id }, bob)).toMatchObject({ status: 404, body: hidden });
      expect((await resultOf(c, id, alice)).status).toBe(200);
      // An anonymous caller (gateway A, no auth) is a space of its own too.
      expect((await resultOf(a, id)).status).toBe(404);
      await waitState(c, id, 'finished', alice);
      const sync = await post(c, '/service_run', { service_id: 'demo_service', params: { input: 'mine' } }, alice);
      expect(sync.body).toMatchObject({ success: true, result: 'Your input is mine.' });
    });

    it('works with the openai SDK given the API key', async () => {
      const sdk = new OpenAI({ baseURL: `${c}/v1`, apiKey: aliceKey, maxRetries: 0 });
      const done = await sdk.chat.completions.create({ model: 'demo_service', messages: [{ role: 'user', content: 'keyed' }] });
      expect(done.choices[0].message.content).toBe('Your input is keyed.');
      await expect(new OpenAI({ baseURL: `${c}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 });
    });

    it('answers 401 and 429 in each API’s shape', async () => {
      const unauthenticated = await post(c, '/service_run', { service_id: 'demo_service', params: { input: 'x' } });
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.body).toEqual({ success: false, result: null, message: expect.any(String), request_id: null });
      const chat = await post(c, '/v1/chat/completions', { model: 'demo_service', messages: [{ role: 'user', content: 'x' }] });
      expect(chat.status).toBe(401);
      expect(chat.body).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
      // Failed authentications count against the client address: past the burst, 429 with Retry-After.
      const burst = await Promise.all(Array.from({ length: 45 }, (_, i) => (i % 2 ? get(c, '/agent/list') : get(c, '/v1/models'))));
      const limited = burst.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      for (const r of limited) {
        expect(r.headers.get('retry-after')).toBeTruthy();
        expect(r.body).toEqual(
          'success' in r.body
            ? { success: false, result: null, message: expect.stringMatching(/Rate limit/), request_id: null }
            : { error: { message: expect.stringMatching(/Rate limit/), type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } },
        );
      }
    });
  });

  describe('platform', () => {
    it('documents every route in the OpenAPI document, with its body', async () => {
      const doc = (await get(a, '/openapi.json')).body as {
        paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
      };
      for (const [p, methods] of Object.entries({
        '/service_run': ['post'],
        '/service_run_stream': ['post', 'get'],
        '/service_run_async': ['post'],
        '/service_run_result': ['get'],
        '/service_run_cancel': ['post'],
        '/agent/list': ['get'],
        '/v1/chat/completions': ['post'],
        '/chat/completions': ['post'],
        '/v1/models': ['get'],
        '/v1/models/{model}': ['get'],
      })) {
        for (const m of methods) expect([p, m, doc.paths[p]?.[m] !== undefined]).toEqual([p, m, true]);
      }
      expect(doc.paths['/service_run'].post.requestBody?.content['application/json'].schema).toMatchObject({
        required: ['service_id', 'params'],
        properties: { service_id: { type: 'string' }, params: { type: 'object' } },
      });
    });

    it('shows a service run through the job API (the debug console watches it by its request id)', async () => {
      const started = await post(a, '/service_run_async', { service_id: 'demo_service', params: { input: 'console' } });
      const id = started.body.request_id as string;
      const stream = await readSse(`${a}/v1/jobs/async/job/${id}/stream`);
      expect(stream.frames.filter((f) => f.event === 'llm.chunk').length).toBeGreaterThan(0);
      expect((await get(a, `/v1/jobs/async/job/${id}`)).body).toMatchObject({ job_id: id, agent_type: 'echo', status: 'success' });
    });

    it('answers a waiting service_run 503 with its request id when the gateway stops (last: stops gateway B)', async () => {
      const gatewayB = apps.find((app) => app.port === PORTS.gatewayB)!;
      const pending = post(b, '/service_run', { service_id: 'slow_service', params: { input: slow(40, 100) } });
      await new Promise((r) => setTimeout(r, 700));
      const stopped = gatewayB.stop();
      const res = await pending;
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ success: false, result: null, message: expect.stringMatching(/restarting/), request_id: expect.stringMatching(HEX32) });
      await stopped;
      await waitState(a, res.body.request_id as string, 'finished'); // the run went on
    });

    it('stops job-runner start-up on a service naming an unknown agent type, naming it', async () => {
      const bad = path.join(dir, 'bad.yaml');
      writeFileSync(bad, 'services:\n  - service_id: ghost\n    agent_type: no_such_agent\n');
      await expect(startService('job-runner', PORTS.badRunner, { ...env, SERVICES_FILE: bad }, 30_000)).rejects.toThrow(
        /service 'ghost' names unknown agent_type 'no_such_agent'/,
      );
    });
  });
});
