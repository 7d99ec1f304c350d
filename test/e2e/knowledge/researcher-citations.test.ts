import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { eventually, json } from '../../support/http';
import { startSuite, type Suite } from '../../support/services';
import { isTerminalFrame, readSse } from '../../support/sse';
import { KNOWLEDGE_TEST_ENV, migrateKnowledge, unique, waitForDocument } from '../../integration/knowledge/helpers';

jest.setTimeout(180_000);

/** An SSE frame's event body: `{type, timestamp, data}`; the agent's fields are in `data`. */
const payload = (raw: string): Record<string, unknown> => {
  const p = JSON.parse(raw) as { data?: Record<string, unknown> };
  return p.data ?? (p as Record<string, unknown>);
};

/**
 * Gateway → knowledge-ingestor → job-runner: a document uploaded through the Knowledge API is found
 * by a shallow_researcher job that names its collection, and the report cites it.
 */
describe('Knowledge + researcher agents (e2e)', () => {
  let suite: Suite;
  let gw: string;
  let nats: ChildProcess | undefined;
  let natsDir: string;

  beforeAll(async () => {
    // A private NATS server and Redis db: job-runners of other suites on the shared test NATS (with
    // their own LLM settings) must not take this suite's jobs.
    natsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-e2e-nats-'));
    nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', '18329', '-js', '-sd', natsDir], { stdio: 'ignore' });
    await eventually(
      async () => (await fetch('http://127.0.0.1:18329').catch((e: { cause?: { code?: string } }) => e.cause?.code !== 'ECONNREFUSED')) !== false,
      10_000,
    );
    const env = { ...KNOWLEDGE_TEST_ENV, LLM_BASE_URL: '', NATS_URL: 'nats://127.0.0.1:18329', REDIS_URL: 'redis://127.0.0.1:6379/8' };
    suite = await startSuite({ basePort: 18320, apps: ['knowledge-ingestor', 'job-runner', 'gateway'], env, waitReady: false });
    migrateKnowledge(suite.env);
    gw = suite.gatewayUrl;
  });

  afterAll(async () => {
    await suite?.stop();
    nats?.kill('SIGTERM');
    // nats-server may still be flushing its JetStream files for a moment after SIGTERM.
    fs.rmSync(natsDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('a NUL character in a collection field is 422, not a 500', async () => {
    const r = await fetch(`${gw}/v1/collections`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `nul-${Date.now()}`, description: 'a\u0000b' }),
    });
    expect(r.status).toBe(422);
  });

  it('shallow_researcher searches the collection, emits tool.end with hits and cites the filename', async () => {
    const name = unique('research');
    expect((await json(`${gw}/v1/collections`, { method: 'POST', body: { name } })).status).toBe(201);
    const form = new FormData();
    form.append('collection_name', name);
    const text = 'Ocean thermal energy conversion (OTEC) uses the temperature difference between warm surface water and cold deep water to drive a turbine.';
    form.append('files', new Blob([text], { type: 'text/plain' }), 'otec-notes.txt');
    form.append('files', new Blob(['Sourdough needs a starter, flour, water and salt.'], { type: 'text/plain' }), 'baking.txt');
    const up = await fetch(`${gw}/v1/documents`, { method: 'POST', body: form });
    expect(up.status).toBe(202);
    const { documents } = (await up.json()) as { documents: { document_id: string }[] };
    for (const d of documents) expect((await waitForDocument(gw, d.document_id)).status).toBe('ready');

    const submit = await json<{ job_id: string }>(`${gw}/v1/jobs/async/submit`, {
      method: 'POST',
      body: { agent_type: 'shallow_researcher', input: 'How does ocean thermal energy conversion work?', collections: [name] },
    });
    expect(submit.status).toBe(200);
    const jobId = submit.body.job_id;

    const sse = await readSse(`${gw}/v1/jobs/async/job/${jobId}/stream`, { until: (frames) => frames.some(isTerminalFrame), timeoutMs: 60_000 });
    const events = sse.frames.filter((f) => f.event).map((f) => ({ event: f.event!, data: payload(f.data) }));
    const toolEnd = events.find((e) => e.event === 'tool.end' && e.data.name === 'knowledge_search');
    expect(toolEnd).toBeDefined();
    const hits = toolEnd!.data.output as { filename: string; text: string; score: number }[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0].filename).toBe('otec-notes.txt');
    expect(hits[0].text).toContain('temperature difference');
    expect(toolEnd!.data.error).toBeUndefined();
    const citations = events.filter((e) => e.event === 'artifact.update' && (e.data as { type?: string }).type === 'citation_source');
    expect(citations.map((c) => c.data.content)).toContain('otec-notes.txt');

    const report = await eventually(async () => {
      const r = await json<{ has_report: boolean; report: string | null }>(`${gw}/v1/jobs/async/job/${jobId}/report`);
      return r.body.has_report ? r.body.report : undefined;
    }, 30_000);
    expect(report).toContain('otec-notes.txt');
    expect(report).toContain('temperature difference');
    const job = await json<{ status: string }>(`${gw}/v1/jobs/async/job/${jobId}`);
    expect(job.body.status).toBe('success');
  });

  it('a collection the caller does not have yields an empty tool.end, not a failed job', async () => {
    const submit = await json<{ job_id: string }>(`${gw}/v1/jobs/async/submit`, {
      method: 'POST',
      body: { agent_type: 'shallow_researcher', input: 'anything', collections: [unique('absent')] },
    });
    const sse = await readSse(`${gw}/v1/jobs/async/job/${submit.body.job_id}/stream`, { until: (frames) => frames.some(isTerminalFrame), timeoutMs: 60_000 });
    const toolEnd = sse.frames.find((f) => f.event === 'tool.end');
    expect(payload(toolEnd!.data).error).toMatch(/not found/);
    const j = await json<{ status: string; error: string | null }>(`${gw}/v1/jobs/async/job/${submit.body.job_id}`);
    expect(j.body).toMatchObject({ status: 'success', error: null });
  });
});
