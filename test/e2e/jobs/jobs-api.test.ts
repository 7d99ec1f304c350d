import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { eventually, json } from '../../support/http';
import { MockLlm } from '../../support/mock-llm';
import { startService, startSuite, type AppProcess, type Suite } from '../../support/services';
import { ids, isTerminalFrame, logged, readSse, statusOf, type SseFrame } from '../../support/sse';

/**
 * The Async Job API over real processes: two gateways and two job-runners on one NATS, Postgres and
 * Redis, agents talking to a local OpenAI-compatible server.
 */
describe('Async Job API (e2e)', () => {
  const llm = new MockLlm();
  let suite: Suite;
  let gatewayB: AppProcess;
  let runnerB: AppProcess;
  let api: string;
  let apiB: string;

  beforeAll(async () => {
    const llmUrl = await llm.start();
    const env = {
      LLM_BASE_URL: llmUrl,
      LLM_MODEL: 'mock-model',
      JOB_LOCK_MS: '3000',
      JOB_STALLED_CHECK_MS: '1000',
      JOB_SWEEP_INTERVAL_MS: '1000',
      SSE_KEEPALIVE_MS: '2000',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST_PER_SECOND: '100000',
      MAX_STREAMS_PER_CALLER: '1000',
    };
    suite = await startSuite({ basePort: 18100, apps: ['gateway', 'job-runner'], env });
    [gatewayB, runnerB] = await Promise.all([startService('gateway', 18104, suite.env), startService('job-runner', 18105, suite.env)]);
    api = `${suite.gatewayUrl}/v1/jobs/async`;
    apiB = `${gatewayB.url}/v1/jobs/async`;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([suite?.stop(), gatewayB?.stop(), runnerB?.stop()]);
    await llm.stop();
  }, 30_000);

  const submit = (body: unknown, headers: Record<string, string> = {}, base = api) =>
    json<Record<string, unknown>>(`${base}/submit`, { method: 'POST', body, headers });
  const slowInput = (tokens: number, delay: number) => `slow question [[tokens=${tokens} delay=${delay}]] ${Math.random()}`;
  const waitStatus = (id: string, status: string, timeoutMs = 15_000) =>
    eventually(async () => (await json<{ status: string }>(`${api}/job/${id}`)).body.status === status, timeoutMs);

  function expectWellFormed(frames: SseFrame[], from = 0): void {
    const seqs = ids(frames);
    expect(seqs).toEqual(seqs.map((_, i) => from + i + 1)); // contiguous, ordered, no repeats
    expect(frames.filter((f) => f.event === 'stream.mode')).toHaveLength(frames.some((f) => f.event === 'stream.mode') ? 1 : 0);
    frames.filter((f) => f.event === 'stream.mode').forEach((f) => expect(f.id).toBeUndefined());
  }

  it('lists the agents', async () => {
    const { status, body } = await json<{ agents: { agent_type: string; description: string }[] }>(`${api}/agents`);
    expect(status).toBe(200);
    expect(body.agents.map((a) => a.agent_type)).toEqual(expect.arrayContaining(['echo', 'shallow_researcher', 'deep_researcher']));
    body.agents.forEach((a) => expect(a.description.length).toBeGreaterThan(0));
  });

  it('runs echo end to end: submit, stream, status, report', async () => {
    const res = await submit({ agent_type: 'echo', input: 'hello world', expiry_seconds: 600 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ job_id: expect.any(String), status: 'submitted', agent_type: 'echo' });
    const id = res.body.job_id as string;

    const stream = await readSse(`${api}/job/${id}/stream`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('cache-control')).toMatch(/no-cache/);
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    expect(stream.headers.get('x-request-id')).toBeTruthy();
    expect(stream.headers.get('content-encoding') ?? 'identity').toBe('identity');
    expectWellFormed(stream.frames);
    const events = logged(stream.frames);
    expect(statusOf(events[0])).toBe('submitted');
    expect(isTerminalFrame(events[events.length - 1])).toBe(true);
    expect(statusOf(events[events.length - 1])).toBe('success');
    const text = events
      .filter((f) => f.event === 'llm.chunk')
      .map((f) => (JSON.parse(f.data) as { data: { content: string } }).data.content)
      .join('');
    expect(text).toBe('Your input is hello world.');
    const stored = JSON.parse(events[1].data) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(['data', 'timestamp', 'type']);

    const job = await json<Record<string, string>>(`${api}/job/${id}`);
    expect(job.body).toMatchObject({ job_id: id, agent_type: 'echo', status: 'success', error: null });
    // expires_at = finished_at + expiry_seconds exactly (updated_at is the finishing write).
    expect(Date.parse(job.body.expires_at) - Date.parse(job.body.updated_at)).toBe(600_000);
    const report = await json(`${api}/job/${id}/report`);
    expect(report.body).toEqual({ job_id: id, has_report: true, report: 'Your input is hello world.' });
    const state = await json<{ state: { output: string } }>(`${api}/job/${id}/state`);
    expect(state.body.state.output).toBe('Your input is hello world.');
  });

  it('resumes after a path id or Last-Event-ID, and answers 204 when a finished job has nothing left', async () => {
    const id = (await submit({ agent_type: 'echo', input: 'resume me' })).body.job_id as string;
    await waitStatus(id, 'success');
    const all = await readSse(`${api}/job/${id}/stream`);
    const last = Math.max(...ids(all.frames));
    const fromPath = await readSse(`${api}/job/${id}/stream/3`);
    expect(ids(fromPath.frames)[0]).toBe(4);
    expectWellFormed(fromPath.frames, 3);
    expect(fromPath.frames.some((f) => f.event === 'stream.mode')).toBe(false); // finished: no live handoff
    const fromHeader = await readSse(`${api}/job/${id}/stream`, { headers: { 'Last-Event-ID': '5' } });
    expect(ids(fromHeader.frames)[0]).toBe(6);
    expect((await readSse(`${api}/job/${id}/stream/${last}`)).status).toBe(204);
    expect((await readSse(`${api}/job/${id}/stream`, { headers: { 'Last-Event-ID': String(last) } })).status).toBe(204);
    expect((await readSse(`${api}/job/${id}/stream/abc`)).status).toBe(422);
  });

  it('validates submissions with clear 4xx errors', async () => {
    const cases: [unknown, number][] = [
      [{ input: 'x' }, 422],
      [{ agent_type: 'echo' }, 422],
      [{ agent_type: 'echo', input: '' }, 422],
      [{ agent_type: 'echo', input: 42 }, 422],
      [{ agent_type: 'echo', input: 'x', expiry_seconds: 599 }, 422],
      [{ agent_type: 'echo', input: 'x', expiry_seconds: 604_801 }, 422],
      [{ agent_type: 'echo', input: 'x', job_id: 'bad id!' }, 422],
      [{ agent_type: 'echo', input: 'x', owner: 'someone-else' }, 422],
      [{ agent_type: 'echo', input: 'x', collections: 'docs' }, 422],
      [{ agent_type: 'echo', input: 'nul \u0000 inside' }, 422],
      [{ agent_type: 'echo', input: 'x', collections: ['a\u0000b'] }, 422],
      [{ agent_type: 'no_such_agent', input: 'x' }, 400],
      [[1, 2, 3], 422],
    ];
    for (const [body, expected] of cases) {
      const res = await submit(body);
      expect({ body, status: res.status }).toEqual({ body, status: expected });
      expect(res.body).toHaveProperty('detail');
    }
    const malformed = await json(`${api}/submit`, { method: 'POST', body: '{"agent_type": "echo",', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toHaveProperty('detail');
    const huge = await submit({ agent_type: 'echo', input: 'x'.repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
  });

  it('answers 409 for a taken job_id and leaves the existing job untouched', async () => {
    const jobId = `dup-${Date.now()}`;
    expect((await submit({ agent_type: 'echo', input: 'first', job_id: jobId })).status).toBe(200);
    await waitStatus(jobId, 'success');
    const again = await submit({ agent_type: 'deep_researcher', input: 'second', job_id: jobId });
    expect(again.status).toBe(409);
    // The same submit again (a retry after a lost reply) gets the job back, not a second one.
    const retried = await submit({ agent_type: 'echo', input: 'first', job_id: jobId });
    expect(retried).toMatchObject({ status: 200, body: { job_id: jobId, agent_type: 'echo' } });
    const job = await json(`${api}/job/${jobId}`);
    expect(job.body).toMatchObject({ agent_type: 'echo', status: 'success' });
    expect((await json(`${api}/job/${jobId}/report`)).body).toMatchObject({ report: 'Your input is first.' });
  });

  it('honours Idempotency-Key', async () => {
    const key = `key-${Date.now()}`;
    const a = await submit({ agent_type: 'echo', input: 'once' }, { 'Idempotency-Key': key });
    const b = await submit({ agent_type: 'echo', input: 'once' }, { 'Idempotency-Key': key });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.job_id).toBe(a.body.job_id);
    const c = await submit({ agent_type: 'echo', input: 'different' }, { 'Idempotency-Key': key });
    expect(c.status).toBe(409);
  });

  it('answers 404 for an unknown id on every route', async () => {
    for (const id of ['does-not-exist', 'bad.id']) {
      expect((await json(`${api}/job/${id}`)).status).toBe(404);
      expect((await json(`${api}/job/${id}/report`)).status).toBe(404);
      expect((await json(`${api}/job/${id}/state`)).status).toBe(404);
      expect((await json(`${api}/job/${id}/cancel`, { method: 'POST' })).status).toBe(404);
      expect((await readSse(`${api}/job/${id}/stream`)).status).toBe(404);
      expect((await readSse(`${api}/job/${id}/stream/2`)).status).toBe(404);
    }
  });

  it('answers HEAD on a live stream with its headers only, leaving the connection usable', async () => {
    const id = (await submit({ agent_type: 'shallow_researcher', input: slowInput(100, 20) })).body.job_id as string;
    await waitStatus(id, 'running');
    // Raw HTTP/1.1 on one socket (Node's client never reuses a connection after HEAD): the HEAD, a
    // pause for any stray stream bytes, then a GET on the same connection.
    const { hostname, port, pathname } = new URL(api);
    const raw = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const sock = net.connect(Number(port), hostname, () => {
        sock.write(`HEAD ${pathname}/job/${id}/stream HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
        setTimeout(() => sock.write(`GET ${pathname}/job/${id} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`), 500);
      });
      sock.on('data', (d: Buffer) => chunks.push(d));
      sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      sock.on('error', reject);
    });
    const [headHeaders, ...rest] = raw.split('\r\n\r\n');
    expect(headHeaders).toMatch(/^HTTP\/1\.1 200 /);
    expect(headHeaders).toMatch(/content-type: text\/event-stream/i);
    // Had stream bytes followed the HEAD response, they would stand before the GET's status line.
    const after = rest.join('\r\n\r\n');
    expect(after).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(after.split('\r\n\r\n')[1])).toMatchObject({ job_id: id, status: 'running' });
    await json(`${api}/job/${id}/cancel`, { method: 'POST' });
  });

  it('honours Connection: close on a stream: says so and closes the connection when the stream ends', async () => {
    const id = (await submit({ agent_type: 'echo', input: 'close me' })).body.job_id as string;
    await waitStatus(id, 'success');
    const { hostname, port, pathname } = new URL(api);
    const raw = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const sock = net.connect(Number(port), hostname, () =>
        sock.write(`GET ${pathname}/job/${id}/stream HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`),
      );
      sock.on('data', (d: Buffer) => chunks.push(d));
      sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8'))); // the server closed it
      sock.on('error', reject);
      setTimeout(() => reject(new Error(`connection still open: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`)), 5000).unref();
    });
    const head = raw.split('\r\n\r\n')[0];
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(/^connection: close$/im);
    expect(head).not.toMatch(/keep-alive/i);
    expect(raw).toContain('"status":"success"');
  });

  it('hands off from replay to live exactly once, identically on two gateways', async () => {
    const id = (await submit({ agent_type: 'shallow_researcher', input: slowInput(150, 20) })).body.job_id as string;
    // One client from the start on gateway A; others join mid-run on gateway B, one resuming by id.
    const early = readSse(`${api}/job/${id}/stream`, { timeoutMs: 30_000 });
    await eventually(async () => (await json<{ status: string }>(`${api}/job/${id}`)).body.status === 'running');
    await new Promise((r) => setTimeout(r, 500));
    const late = readSse(`${apiB}/job/${id}/stream`, { timeoutMs: 30_000 });
    const resumed = readSse(`${apiB}/job/${id}/stream/5`, { timeoutMs: 30_000 });
    const [a, b, c] = await Promise.all([early, late, resumed]);
    for (const s of [a, b]) {
      expectWellFormed(s.frames);
      expect(s.frames.filter((f) => f.event === 'stream.mode')).toHaveLength(1);
      expect(isTerminalFrame(s.frames[s.frames.length - 1])).toBe(true);
    }
    expectWellFormed(c.frames, 5);
    // Replay first, then the single live marker, then live events.
    const modeAt = b.frames.findIndex((f) => f.event === 'stream.mode');
    expect(modeAt).toBeGreaterThan(1);
    expect(logged(a.frames).map((f) => [f.id, f.event, f.data])).toEqual(logged(b.frames).map((f) => [f.id, f.event, f.data]));
    expect(logged(c.frames).map((f) => f.data)).toEqual(
      logged(a.frames)
        .slice(5)
        .map((f) => f.data),
    );
  }, 40_000);

  it('cancels a running job within 1 s, aborts its model call, and is idempotent', async () => {
    const id = (await submit({ agent_type: 'shallow_researcher', input: slowInput(400, 50) })).body.job_id as string;
    const watching = readSse(`${api}/job/${id}/stream`, { timeoutMs: 20_000 });
    await eventually(async () =>
      llm.calls.find((c) => c.messages.some((m) => m.content.includes(id.slice(0, 0) + 'slow question')) && !c.finished && !c.aborted),
    );
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const cancel = await json(`${api}/job/${id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toEqual({ job_id: id, status: 'interrupted' });
    await waitStatus(id, 'interrupted', 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    const stream = await watching;
    expect(statusOf(stream.frames[stream.frames.length - 1])).toBe('interrupted');
    expectWellFormed(stream.frames);
    await eventually(async () => llm.calls.some((c) => c.aborted), 2000);
    const again = await json(`${api}/job/${id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ job_id: id, status: 'interrupted' });
  }, 30_000);

  it('refuses to cancel a finished job with 409', async () => {
    const id = (await submit({ agent_type: 'echo', input: 'done' })).body.job_id as string;
    await waitStatus(id, 'success');
    const res = await json<{ detail: string }>(`${api}/job/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/already finished/);
  });

  it('researchers work without collections and report a failed model call as failure', async () => {
    const id = (await submit({ agent_type: 'deep_researcher', input: 'quantum [[tokens=5 delay=0]]' })).body.job_id as string;
    await waitStatus(id, 'success', 20_000);
    const report = await json<{ report: string }>(`${api}/job/${id}/report`);
    expect(report.body.report).toContain('## Conclusion');
    const stream = await readSse(`${api}/job/${id}/stream`);
    const todos = logged(stream.frames).filter((f) => f.event === 'artifact.update' && (JSON.parse(f.data) as { data: { type: string } }).data.type === 'todo');
    expect(todos.length).toBeGreaterThan(3);
  }, 30_000);
});
