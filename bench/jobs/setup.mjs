// What the job benchmarks run against, started once per run through the shared harness:
// database `platform_bench` (job-runner migrations applied, jobs truncated), a private redis-server
// (or BENCH_REDIS_URL, flushed), a private nats-server, the mock LLM, a gateway, an API-only job-runner (JOB_CONCURRENCY=0, it answers
// NATS), a worker job-runner that executes the jobs (stopped while submit is measured), and — for the
// memory figure only — a second, untouched gateway.
import { randomUUID } from 'node:crypto';
import { connect as natsConnect } from '@nats-io/transport-node';
import Redis from 'ioredis';
import pg from 'pg';
import { CpuMeter, postmasterPid, redisPid } from '../lib/cpu.mjs';
import { jobRunner, subjects } from '../lib/production.mjs';
import { knob, log, sleep } from '../lib/report.mjs';
import { startMockLlm } from './mock-llm.mjs';

/** Starts the job stack on `services` (which stops it all); resolves with what the benchmarks use. */
export async function startJobStack(services, { memoryGateway = false } = {}) {
  const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://platform:platform@127.0.0.1:5432/platform_bench';
  const run = Math.random().toString(36).slice(2, 8);

  await services.postgres();
  await services.database(DB_URL, ['job-runner']);
  const nats = await services.nats();
  const { url: REDIS_URL, pid: redisServerPid } = await services.redis();

  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  services.onStop(() => redis.quit());
  await redis.flushdb();
  const db = new pg.Pool({ connectionString: DB_URL, max: 20 });
  services.onStop(() => db.end());
  await db.query('TRUNCATE job_runner.jobs CASCADE');
  const nc = await natsConnect({ servers: nats.url });
  services.onStop(() => nc.close());
  const prod = await jobRunner({ databaseUrl: DB_URL, nc });
  services.onStop(() => prod.close());
  const mock = await startMockLlm();
  services.onStop(() => mock.close());

  const env = {
    ...process.env,
    DATABASE_URL: DB_URL,
    NATS_URL: nats.url,
    REDIS_URL,
    LOG_LEVEL: 'warn',
    // The config caps these at 1 000 000/min and 100 000/s: the limiter stays on (its Redis round
    // trips are part of the submit path) but never refuses.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_BURST_PER_SECOND: '100000',
    MAX_STREAMS_PER_CALLER: '100000',
    MAX_ACTIVE_JOBS_PER_CALLER: '0',
    JOB_CONCURRENCY: '0', // the API runner; jobs run on the worker runner
    LLM_BASE_URL: mock.url,
    LLM_API_KEY: 'bench',
    LLM_TIMEOUT_MS: '600000', // the idle job's model call is held open for the whole memory run
  };
  const gateway = await services.app('gateway', env);
  const api = await services.app('job-runner', env, { label: 'job-runner-api' });
  const memGateway = memoryGateway ? await services.app('gateway', env, { label: 'gateway-mem' }) : null;
  await services.ready([gateway, api, ...(memGateway ? [memGateway] : [])]);

  // Jobs run on a second job-runner, as a worker replica would in production, so that submit can be
  // measured with no job executing on these cores: the worker is stopped for it.
  let worker = null;
  const startWorker = async () => {
    worker = await services.app('job-runner', { ...env, JOB_CONCURRENCY: String(knob('BENCH_JOB_CONCURRENCY', 64)) }, { label: 'job-runner-worker' });
    await services.ready([worker], '/health/ready');
  };
  const stopWorker = async () => {
    await services.stopApp(worker);
    worker = null;
  };
  await startWorker();

  const base = `${gateway.url}/v1/jobs/async`;
  const submit = async (body, url = base) => {
    const res = await fetch(`${url}/submit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`submit: HTTP ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const waitStatus = async (jobId, want, timeoutMs = 60_000, url = base) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const j = await fetch(`${url}/job/${jobId}`).then((r) => r.json());
      if (want.includes(j.status)) return j;
      if (Date.now() > deadline) throw new Error(`job ${jobId} is ${j.status}, not ${want.join('/')}, after ${timeoutMs} ms`);
      await sleep(100);
    }
  };
  /** Waits until no submitted or running job is left; returns the seconds it took. */
  const waitDrained = async (timeoutMs = 300_000) => {
    const t0 = Date.now();
    for (;;) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM job_runner.jobs WHERE status IN ('submitted','running') AND owner = 'anonymous'`);
      if (rows[0].n === 0) return (Date.now() - t0) / 1000;
      if (Date.now() - t0 > timeoutMs) throw new Error(`${rows[0].n} jobs still unfinished after ${timeoutMs} ms`);
      await sleep(250);
    }
  };

  /**
   * A job row in `running`, as a worker's run has it, written by the production JobStore and EventLog
   * (submit insert, then the `running` transition). Returns the job id and its attempt.
   */
  const runningJob = async (prefix, { owner = 'bench', agentType = 'echo', input = 'bench' } = {}) => {
    const id = `bench-${prefix}-${run}-${randomUUID().slice(0, 8)}`;
    const created = await prod.jobStore.create({
      id,
      owner,
      agent_type: agentType,
      input,
      options: {},
      expiry_seconds: 86_400,
      idempotency_key: null,
      request_hash: randomUUID().replace(/-/g, '').padEnd(64, '0'),
    });
    if (!created) throw new Error(`job ${id} was not created`);
    const started = await prod.eventLog.transition({ jobId: id, to: 'running', from: ['submitted'], newAttempt: true });
    return { id, attempt: started.attempt };
  };

  // The processes a job costs, for CPU per job: every replica of the job path, and the servers.
  const redisServer = redisServerPid ?? (await redisPid(redis));
  const cpu = new CpuMeter(
    {
      gateway: () => gateway.pid,
      'job-runner (api)': () => api.pid,
      'job-runner (worker)': () => worker?.pid,
      redis: () => redisServer,
      nats: () => nats.pid,
    },
    { postgres: { pid: await postmasterPid((sql) => db.query(sql).then((r) => r.rows)), database: new URL(DB_URL).pathname.slice(1) } },
  );

  log(
    `gateway :${gateway.port} (pid ${gateway.pid}), job-runner :${api.port} (pid ${api.pid}, API only), worker (pid ${worker.pid})` +
      `${memGateway ? `, memory gateway :${memGateway.port} (pid ${memGateway.pid})` : ''}; db ${new URL(DB_URL).pathname.slice(1)}, redis ${REDIS_URL}`,
  );

  // Sanity: one echo job end to end before measuring anything.
  const probe = await submit({ agent_type: 'echo', input: 'probe' });
  await waitStatus(probe.job_id, ['success'], 60_000);

  return {
    services,
    run,
    db,
    redis,
    redisUrl: REDIS_URL,
    nc,
    natsUrl: nats.url,
    subjects: subjects(),
    prod,
    mock,
    gateway,
    api,
    memGateway,
    get worker() {
      return worker;
    },
    startWorker,
    stopWorker,
    base,
    probeJobId: probe.job_id,
    submit,
    waitStatus,
    waitDrained,
    runningJob,
    cpu,
  };
}
