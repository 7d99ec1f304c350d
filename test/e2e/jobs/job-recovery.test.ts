import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, json } from '../../support/http';
import { MockLlm } from '../../support/mock-llm';
import { startService, testEnv, type AppProcess } from '../../support/services';
import { ids, logged, readSse, statusOf } from '../../support/sse';

/** Crashes and queue edge cases with real job-runner processes killed by SIGKILL. */
describe('job recovery (e2e)', () => {
  const llm = new MockLlm();
  let env: Record<string, string>;
  let gateway: AppProcess;
  const runners: AppProcess[] = [];
  let api: string;
  let nextPort = 18131;

  const startRunner = async (extra: Record<string, string> = {}) => {
    const r = await startService('job-runner', nextPort++, { ...env, ...extra });
    runners.push(r);
    return r;
  };
  const submit = async (input: string) =>
    (await json<{ job_id: string }>(`${api}/submit`, { method: 'POST', body: { agent_type: 'shallow_researcher', input } })).body.job_id;
  const statusOfJob = async (id: string) => (await json<{ status: string; error: string | null }>(`${api}/job/${id}`)).body;

  beforeAll(async () => {
    env = testEnv({
      LLM_BASE_URL: await llm.start(),
      JOB_LOCK_MS: '2000',
      JOB_STALLED_CHECK_MS: '500',
      JOB_MAX_ATTEMPTS: '2',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST_PER_SECOND: '100000',
    });
    gateway = await startService('gateway', 18130, env);
    api = `${gateway.url}/v1/jobs/async`;
  }, 60_000);

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop(5000)));
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    await llm.stop();
  }, 30_000);

  it('retries a job on another worker after kill -9, continuing its sequence', async () => {
    const a = await startRunner();
    const id = await submit('crash me [[tokens=60 delay=40]]');
    await eventually(async () => (await statusOfJob(id)).status === 'running', 30_000, 100);
    await new Promise((r) => setTimeout(r, 500)); // some events are written by the doomed worker
    a.kill();
    const b = await startRunner(); // started after the crash, so it can only be a retry
    await eventually(async () => (await statusOfJob(id)).status === 'success', 30_000, 200);
    expect(b.alive).toBe(true);

    const stream = await readSse(`${api}/job/${id}/stream`);
    const seqs = ids(stream.frames);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const running = logged(stream.frames)
      .filter((f) => statusOf(f) === 'running')
      .map((f) => (JSON.parse(f.data) as { data: Record<string, unknown> }).data);
    expect(running).toEqual([
      { status: 'running', attempt: 1, retried: false },
      { status: 'running', attempt: 2, retried: true },
    ]);
    expect(statusOf(stream.frames[stream.frames.length - 1])).toBe('success');
  }, 60_000);

  it('fails a job, never leaves it running, once its worker has been lost JOB_MAX_ATTEMPTS times', async () => {
    const a = await startRunner();
    const id = await submit('doomed [[tokens=200 delay=50]]');
    await eventually(async () => (await statusOfJob(id)).status === 'running', 30_000, 100);
    a.kill();
    const b = await startRunner();
    // b picks it up as attempt 2 (the last allowed); kill it too.
    await eventually(
      async () => {
        const s = await readSse(`${api}/job/${id}/stream`, { until: (f) => f.some((x) => statusOf(x) === 'running' && x.data.includes('"attempt":2')) });
        return s.frames.some((x) => x.data.includes('"attempt":2'));
      },
      20_000,
      200,
    );
    b.kill();
    const c = await startRunner();
    const final = await eventually(
      async () => {
        const s = await statusOfJob(id);
        return s.status === 'failure' ? s : undefined;
      },
      30_000,
      200,
    );
    expect(final.error).toMatch(/worker lost|stalled/);
    expect(c.alive).toBe(true);
  }, 60_000);

  it('SIGTERM: the API answers throughout the drain, a running job is handed back at the end of the grace period and finished elsewhere', async () => {
    const grace = 3000;
    const a = await startRunner({ SHUTDOWN_GRACE_MS: String(grace), LOG_LEVEL: 'info' });
    const id = await submit('longer than the grace period [[tokens=120 delay=50]]');
    await eventually(async () => (await statusOfJob(id)).status === 'running', 30_000, 100);
    const b = await startRunner(); // started after the job was taken: it can only get it back from a
    const t0 = Date.now();
    const stopping = a.stop(grace + 10_000);
    const answers: number[] = [];
    while (a.alive && Date.now() - t0 < grace + 10_000) {
      answers.push((await json(`${api}/job/${id}`)).status);
      answers.push((await json(`${api}/submit`, { method: 'POST', body: { agent_type: 'echo', input: 'during the drain' } })).status);
      await new Promise((r) => setTimeout(r, 100));
    }
    await stopping;
    const stoppedAfter = Date.now() - t0;
    expect(stoppedAfter).toBeLessThan(grace + 3000); // no SIGKILL needed
    expect(answers.filter((s) => s !== 200 && s !== 201 && s !== 202)).toEqual([]);
    expect(a.log(200)).toMatch(/handing back 1 running job/);
    expect(a.log(200)).not.toMatch(/Driver not Connected|FAULTS-CRASH|unhandled/i);

    await eventually(async () => (await statusOfJob(id)).status === 'success', 30_000, 200);
    expect(b.alive).toBe(true);
    const stream = await readSse(`${api}/job/${id}/stream`);
    const seqs = ids(stream.frames);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const running = logged(stream.frames)
      .filter((f) => statusOf(f) === 'running')
      .map((f) => (JSON.parse(f.data) as { data: Record<string, unknown> }).data);
    expect(running).toEqual([
      { status: 'running', attempt: 1, retried: false },
      { status: 'running', attempt: 2, retried: true },
    ]);
  }, 60_000);

  it('cancels a queued job so that it never runs', async () => {
    await startRunner({ JOB_CONCURRENCY: '1' });
    const busy = await submit('occupy the only slot [[tokens=400 delay=20]]');
    await eventually(async () => (await statusOfJob(busy)).status === 'running', 30_000, 100);
    const queued = await submit('never runs');
    expect((await statusOfJob(queued)).status).toBe('submitted');
    const res = await json(`${api}/job/${queued}/cancel`, { method: 'POST' });
    expect(res.body).toEqual({ job_id: queued, status: 'interrupted' });
    await json(`${api}/job/${busy}/cancel`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 1500)); // the slot is free: a queued job would start now
    const stream = await readSse(`${api}/job/${queued}/stream`);
    expect(logged(stream.frames).map(statusOf)).toEqual(['submitted', 'interrupted']);
    expect((await statusOfJob(queued)).status).toBe('interrupted');
  }, 60_000);
});
