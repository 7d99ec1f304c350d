import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startNats, uniq } from '../security/fixtures';
import { apikeyCli, bearer, call } from '../security/support';
import { startService, testEnv, type AppProcess } from '../../support/services';

jest.setTimeout(120_000);

/** `GET /v1/jobs/async/jobs`: the caller's jobs, newest first, paginated, filtered by status; 422 on bad input. */
describe('job list (e2e)', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let apps: AppProcess[] = [];
  let gw: string;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  const ids: string[] = [];

  beforeAll(async () => {
    // A private NATS: no job-runner of another suite answers (ports 18905–18918 are this suite's).
    nats = await startNats(18918);
    if (!nats) throw new Error('nats-server is needed');
    const env = testEnv({
      NATS_URL: nats.url,
      REDIS_URL: 'redis://127.0.0.1:6379/13',
      REDIS_KEY_PREFIX: `${uniq('jobs-list')}:`,
      LLM_BASE_URL: '',
      REQUIRE_AUTH: 'true',
      AUTH_API_KEYS_ENABLED: 'true',
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_BURST_PER_SECOND: '0',
    });
    apps = await Promise.all([startService('job-runner', 18906, env), startService('gateway', 18905, env)]);
    gw = apps[1].url;
    alice = bearer((await apikeyCli(env, 'create', '--name', uniq('alice'))).key as string);
    bob = bearer((await apikeyCli(env, 'create', '--name', uniq('bob'))).key as string);
    for (let i = 0; i < 5; i++) {
      const r = await call(gw, 'POST', '/v1/jobs/async/submit', alice, { agent_type: 'echo', input: `job ${i}` });
      expect(r.status).toBe(200);
      ids.push(r.body.job_id as string);
    }
    expect((await call(gw, 'POST', '/v1/jobs/async/submit', bob, { agent_type: 'echo', input: 'bob' })).status).toBe(200);
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop(5000)));
    await nats?.stop();
  });

  it("lists only the caller's jobs, newest first, a page at a time", async () => {
    const all = await call(gw, 'GET', '/v1/jobs/async/jobs', alice);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 5, limit: 20, offset: 0 });
    const jobs = all.body.jobs as { job_id: string; agent_type: string; attempt: number; created_at: string }[];
    expect(jobs.map((j) => j.job_id)).toEqual([...ids].reverse());
    expect(jobs[0]).toMatchObject({ agent_type: 'echo' });
    expect(typeof jobs[0].attempt).toBe('number');
    const page = await call(gw, 'GET', '/v1/jobs/async/jobs?limit=2&offset=1', alice);
    expect((page.body.jobs as { job_id: string }[]).map((j) => j.job_id)).toEqual([ids[3], ids[2]]);
    expect(page.body).toMatchObject({ total: 5, limit: 2, offset: 1 });
    const mine = await call(gw, 'GET', '/v1/jobs/async/jobs', bob);
    expect(mine.body.total).toBe(1);
    expect((mine.body.jobs as { job_id: string }[]).some((j) => ids.includes(j.job_id))).toBe(false);
  });

  it('filters by status', async () => {
    // echo finishes at once: wait until all five are done.
    for (let i = 0; i < 100; i++) {
      const r = await call(gw, 'GET', '/v1/jobs/async/jobs?status=success', alice);
      if (r.body.total === 5) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect((await call(gw, 'GET', '/v1/jobs/async/jobs?status=success', alice)).body.total).toBe(5);
    expect((await call(gw, 'GET', '/v1/jobs/async/jobs?status=running', alice)).body).toMatchObject({ total: 0, jobs: [] });
  });

  it.each(['limit=0', 'limit=101', 'limit=x', 'offset=-1', 'status=done', 'owner=someone'])('422 for %s', async (q) => {
    const r = await call(gw, 'GET', `/v1/jobs/async/jobs?${q}`, alice);
    expect(r.status).toBe(422);
    expect(r.body.detail).toBeDefined();
  });

  it('401 without credentials when auth is on', async () => {
    expect((await call(gw, 'GET', '/v1/jobs/async/jobs')).status).toBe(401);
  });
});
