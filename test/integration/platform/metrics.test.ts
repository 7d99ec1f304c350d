import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { eventually, json } from '../../support/http';
import { MockLlm } from '../../support/mock-llm';
import { delta, Scrape } from '../../support/prometheus';
import { startSuite, type Suite } from '../../support/services';
import { isTerminalFrame, logged, readSse, statusOf } from '../../support/sse';
import { KNOWLEDGE_TEST_ENV, migrateKnowledge, unique, waitForDocument } from '../knowledge/helpers';

jest.setTimeout(180_000);

const BASE = 18800;
const ADMIN_PORT = 18809;
const NATS_PORT = 18818;

/**
 * Each service's `/metrics` (prom-client), scraped before and after a knowledge upload, a search and a
 * shallow_researcher job with a model call: the counters and histograms move by exactly what was done.
 * The services run on a NATS server and Redis db of their own, so no other suite's replica takes this
 * suite's work (or adds to its counters).
 */
describe('Prometheus metrics of every service', () => {
  const llm = new MockLlm();
  let suite: Suite;
  let nats: ChildProcess | undefined;
  let natsDir: string;
  let gw: string;
  const admin = `http://127.0.0.1:${ADMIN_PORT}/metrics`;
  const backend = (port: number) => `http://127.0.0.1:${port}/metrics`;
  const scrapeAll = async () => ({
    gateway: await Scrape.of(admin),
    runner: await Scrape.of(backend(BASE + 1)),
    coordinator: await Scrape.of(backend(BASE + 2)),
    ingestor: await Scrape.of(backend(BASE + 3)),
  });

  beforeAll(async () => {
    natsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-nats-'));
    nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(NATS_PORT), '-js', '-sd', natsDir], { stdio: 'ignore' });
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${NATS_PORT}`).catch((e: { cause?: { code?: string } }) => e.cause?.code !== 'ECONNREFUSED')) !== false,
      10_000,
    );
    const llmUrl = await llm.start();
    const env = {
      ...KNOWLEDGE_TEST_ENV,
      LLM_BASE_URL: llmUrl,
      LLM_MODEL: 'mock-model',
      LLM_PRICE_INPUT_PER_M: '1000',
      LLM_PRICE_OUTPUT_PER_M: '2000',
      NATS_URL: `nats://127.0.0.1:${NATS_PORT}`,
      REDIS_URL: 'redis://127.0.0.1:6379/13',
      ADMIN_PORT: String(ADMIN_PORT),
    };
    suite = await startSuite({ basePort: BASE, env, waitReady: false });
    migrateKnowledge(suite.env);
    gw = suite.gatewayUrl;
  }, 120_000);

  afterAll(async () => {
    await suite?.stop();
    await llm.stop();
    nats?.kill('SIGTERM');
    fs.rmSync(natsDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }, 30_000);

  it('serves /metrics on the admin and probe ports, never on the public port', async () => {
    expect((await fetch(`${gw}/metrics`)).status).toBe(404);
    const all = await scrapeAll();
    for (const [service, s] of Object.entries(all)) {
      // Process and Node defaults, labelled with the service.
      expect(s.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(s.family('nodejs_eventloop_lag_seconds')).toBeDefined();
      expect(s.series('process_cpu_user_seconds_total')[0]).toMatchObject({ service: service === 'runner' ? 'job-runner' : expect.any(String) });
    }
    // No id ever becomes a label: every label value of the platform's own metrics is short and id-free.
    for (const s of Object.values(all))
      for (const f of s.families.filter((f) => !/^(process|nodejs)_/.test(f.name)))
        for (const labels of s.series(f.name)) for (const v of Object.values(labels)) expect(v).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('counts an upload, a search and a job with a model call where each happened', async () => {
    const before = await scrapeAll();

    // ── knowledge: one document indexed, one search ──
    const name = unique('metrics');
    expect((await json(`${gw}/v1/collections`, { method: 'POST', body: { name } })).status).toBe(201);
    const form = new FormData();
    form.append('collection_name', name);
    form.append(
      'files',
      new Blob(['Tidal power turns the energy of tides into electricity with barrages and stream turbines.'], { type: 'text/plain' }),
      'tides.txt',
    );
    const up = await fetch(`${gw}/v1/documents`, { method: 'POST', body: form });
    expect(up.status).toBe(202);
    const { documents } = (await up.json()) as { documents: { document_id: string }[] };
    const doc = await waitForDocument(gw, documents[0].document_id);
    expect(doc.status).toBe('ready');
    const search = await json<{ results: unknown[] }>(`${gw}/v1/collections/${name}/search`, { method: 'POST', body: { query: 'tidal power' } });
    expect(search.status).toBe(200);
    expect(search.body.results.length).toBeGreaterThan(0);

    const afterSearch = await scrapeAll();
    expect(delta(before.ingestor, afterSearch.ingestor, 'knowledge_ingest_duration_seconds', { outcome: 'ready' }, 'count')).toBe(1);
    expect(delta(before.ingestor, afterSearch.ingestor, 'knowledge_chunks_indexed_total')).toBe(doc.chunk_count);
    expect(delta(before.ingestor, afterSearch.ingestor, 'knowledge_search_duration_seconds', { mode: 'fulltext', outcome: 'ok' }, 'count')).toBe(1);
    expect(delta(before.ingestor, afterSearch.ingestor, 'knowledge_documents', { state: 'ready' })).toBe(1);
    expect(afterSearch.ingestor.series('bull_queue_jobs')).toEqual(
      expect.arrayContaining([expect.objectContaining({ queue: 'knowledge-ingest', state: 'waiting' })]),
    );
    const searchRoute = { method: 'POST', route: '/v1/collections/:name/search', status: '200' };
    expect(delta(before.gateway, afterSearch.gateway, 'http_request_duration_seconds', searchRoute, 'count')).toBe(1);
    expect(delta(before.gateway, afterSearch.gateway, 'nats_request_duration_seconds', { subject: 'knowledge.search', outcome: 'ok' }, 'count')).toBe(1);

    // ── a job: searches the collection, one streamed model call; watched live over SSE ──
    const calls = llm.calls.length;
    const submit = await json<{ job_id: string }>(`${gw}/v1/jobs/async/submit`, {
      method: 'POST',
      body: { agent_type: 'shallow_researcher', input: `What is tidal power? [[tokens=20 delay=100]]`, collections: [name] },
    });
    expect(submit.status).toBe(200);
    const jobId = submit.body.job_id;
    const stream = readSse(`${gw}/v1/jobs/async/job/${jobId}/stream`, { until: (frames) => frames.some(isTerminalFrame), timeoutMs: 60_000 });
    // While it runs: the store gauge and the open stream.
    const running = await eventually(async () => {
      const s = await scrapeAll();
      return s.runner.value('jobs', { status: 'running', agent_type: 'shallow_researcher' }) === 1 && s.gateway.value('gateway_sse_streams_open') === 1
        ? s
        : undefined;
    }, 20_000);
    expect(running.gateway.series('gateway_sse_streams_open')).toEqual([{ service: 'gateway', surface: '/v1/jobs/async/job/:id/stream' }]);
    const sse = await stream;
    const frames = logged(sse.frames);
    expect(statusOf(frames[frames.length - 1])).toBe('success');
    const lastSeq = Number(frames[frames.length - 1].id);
    const call = llm.calls[calls];
    expect(llm.calls).toHaveLength(calls + 1);

    const after = await eventually(async () => {
      const s = await scrapeAll();
      return delta(before.runner, s.runner, 'job_run_duration_seconds', { agent_type: 'shallow_researcher' }, 'count') === 1 ? s : undefined;
    });
    const agent = { agent_type: 'shallow_researcher' };
    // gateway
    expect(
      delta(before.gateway, after.gateway, 'http_request_duration_seconds', { method: 'POST', route: '/v1/jobs/async/submit', status: '200' }, 'count'),
    ).toBe(1);
    expect(delta(before.gateway, after.gateway, 'nats_request_duration_seconds', { subject: 'jobs.submit', outcome: 'ok' }, 'count')).toBe(1);
    expect(delta(before.gateway, after.gateway, 'gateway_live_fanout_lag_seconds', {}, 'count')).toBeGreaterThanOrEqual(20); // at least the 20 tokens went live
    expect(after.gateway.value('gateway_sse_streams_open')).toBe(0);
    // job-runner
    expect(delta(before.runner, after.runner, 'job_run_duration_seconds', { ...agent, outcome: 'success' }, 'count')).toBe(1);
    expect(delta(before.runner, after.runner, 'jobs_finished_total', { ...agent, status: 'success' })).toBe(1);
    expect(delta(before.runner, after.runner, 'job_queue_wait_seconds', agent, 'count')).toBe(1);
    expect(delta(before.runner, after.runner, 'job_first_event_seconds', agent, 'count')).toBe(1);
    // Every event but the three status changes (submitted, running, success: written by transitions) went through an append.
    expect(delta(before.runner, after.runner, 'job_events_appended_total')).toBe(lastSeq - 3);
    expect(delta(before.runner, after.runner, 'job_event_append_batch_size', {}, 'sum')).toBe(lastSeq - 3);
    expect(delta(before.runner, after.runner, 'nats_request_duration_seconds', { subject: 'knowledge.search', outcome: 'ok' }, 'count')).toBe(1);
    expect(after.runner.value('jobs', agent)).toBe(0);
    expect(after.runner.series('bull_queue_jobs')).toEqual(expect.arrayContaining([expect.objectContaining({ queue: 'jobs', state: 'active' })]));
    // the model call, in the shared model client
    const model = { model: 'mock-model' };
    expect(delta(before.runner, after.runner, 'model_call_duration_seconds', { ...model, kind: 'chat', outcome: 'ok' }, 'count')).toBe(1);
    expect(delta(before.runner, after.runner, 'model_call_duration_seconds', { ...model, kind: 'chat' }, 'sum')).toBeGreaterThanOrEqual(2); // 20 tokens × 100 ms
    expect(delta(before.runner, after.runner, 'model_tokens_total', { ...model, direction: 'input' })).toBe(call.usage!.prompt_tokens);
    expect(delta(before.runner, after.runner, 'model_tokens_total', { ...model, direction: 'output' })).toBe(call.usage!.completion_tokens);
    const cost = (call.usage!.prompt_tokens * 1000 + call.usage!.completion_tokens * 2000) / 1e6;
    expect(delta(before.runner, after.runner, 'model_cost_total', model)).toBeCloseTo(cost, 9);
    expect(delta(before.runner, after.runner, 'model_call_errors_total', model)).toBe(0);
    // knowledge-ingestor: the job's search
    expect(delta(afterSearch.ingestor, after.ingestor, 'knowledge_search_duration_seconds', { outcome: 'ok' }, 'count')).toBe(1);
    // coordinator: the job-runner's worker agent is registered
    expect(after.coordinator.value('coordinator_agents', { status: 'active', agent_type: 'worker' })).toBeGreaterThanOrEqual(1);
    expect(after.coordinator.family('coordinator_queued_tasks')).toBeDefined();
  });

  it('counts a failed model call as an error of its model, by reason', async () => {
    const before = await Scrape.of(backend(BASE + 1));
    const submit = await json<{ job_id: string }>(`${gw}/v1/jobs/async/submit`, {
      method: 'POST',
      body: { agent_type: 'shallow_researcher', input: 'Anything [[fail=503]]' },
    });
    expect(submit.status).toBe(200);
    const after = await eventually(async () => {
      const s = await Scrape.of(backend(BASE + 1));
      return delta(before, s, 'jobs_finished_total', { agent_type: 'shallow_researcher' }) === 1 ? s : undefined;
    }, 30_000);
    expect(delta(before, after, 'model_call_errors_total', { model: 'mock-model', kind: 'chat', reason: 'http_503' })).toBe(1);
    expect(delta(before, after, 'model_call_duration_seconds', { model: 'mock-model', outcome: 'error' }, 'count')).toBe(1);
    expect(delta(before, after, 'jobs_finished_total', { agent_type: 'shallow_researcher', status: 'failure' })).toBe(1);
  });
});
