import { afterAll, beforeAll, describe, it } from '@jest/globals';
import net from 'node:net';
import { FaultInfra, freePort, raceTimeout, sleep } from '../support/fault-infra';
import { answered2xx, countAnswers, newAddress, percentile, type CallRecord } from '../support/fault-load';
import { MockLlm } from '../support/mock-llm';
import { FAST_FAILURE_MS, HONEST_503_P99_MS, reports, runScenario, summaryTable, writeSummary, type Scenario, type ScenarioOptions } from './scenario';

/**
 * The fault suite (docs/reliability.md): real processes, real servers of the suite's own (Postgres, Redis,
 * NATS on ports nobody else uses), real faults (kill -9, SIGTERM, stop/start), while jobs stream
 * model tokens from a local OpenAI-protocol server to browser-like EventSource clients. After every
 * scenario the history checker reads the event log from Postgres and compares it with what every
 * submit was answered and what every client received (test/faults/scenario.ts).
 *
 * Settings: production defaults, except JOB_LOCK_MS=5000 / JOB_STALLED_CHECK_MS=1000 (crash
 * detection in seconds, so the suite fits its time budget) and what a scenario names.
 */

const log = (m: string) => process.stdout.write(`[faults] ${m}\n`);
const SCENARIO_TIMEOUT = 150_000;

describe('fault suite', () => {
  const llm = new MockLlm();
  let infra: FaultInfra;
  let env: Record<string, string>;
  const ports = { gateway: 0, runnerA: 0, runnerB: 0 };
  const gatewayUrl = () => `http://127.0.0.1:${ports.gateway}`;

  beforeAll(async () => {
    infra = await FaultInfra.create(log);
    const taken = new Set<number>([infra.ports.postgres, infra.ports.redis, infra.ports.nats]);
    ports.gateway = await freePort(Number(process.env.FAULTS_APP_PORT) || 25080, taken);
    ports.runnerA = await freePort(ports.gateway + 11, taken);
    ports.runnerB = await freePort(ports.runnerA + 1, taken);
    const llmUrl = await llm.start();
    env = {
      ...(process.env as Record<string, string>),
      DATABASE_URL: infra.databaseUrl,
      REDIS_URL: infra.redisUrl,
      NATS_URL: infra.natsUrl,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KNOWLEDGE_ENABLED: 'false',
      WORKER_AGENT_ENABLED: 'false',
      LLM_BASE_URL: llmUrl,
      LLM_MODEL: 'mock-model',
      JOB_LOCK_MS: '5000',
      JOB_STALLED_CHECK_MS: '1000',
    };
    for (const k of [
      'MAX_STREAMS_PER_CALLER',
      'RATE_LIMIT_PER_MINUTE',
      'RATE_LIMIT_BURST_PER_SECOND',
      'SHUTDOWN_GRACE_MS',
      'SSE_MAX_BUFFER_BYTES',
      'JOB_CONCURRENCY',
    ])
      delete env[k];
  }, 180_000);

  afterAll(async () => {
    await infra?.teardown();
    await llm.stop();
    writeSummary();
    if (reports.length) process.stdout.write(`\nFault suite summary (also in .stack/faults/summary.json and summary.md)\n${summaryTable()}\n\n`);
  }, 60_000);

  const scenario = (tag: string, title: string, opts: ScenarioOptions, body: (s: Scenario) => Promise<void>) =>
    runScenario(infra, env, gatewayUrl(), tag, title, opts, body);

  /** Gateway plus two job-runners, in parallel. Runners log at info (they log little and it is the evidence); the gateway at warn (no request lines). */
  const startTrio = async (s: Scenario, runnerEnv: Record<string, string> = {}, gatewayEnv: Record<string, string> = {}) => {
    const [gateway, a, b] = await Promise.all([
      s.apps.start('gateway', ports.gateway, gatewayEnv),
      s.apps.start('job-runner', ports.runnerA, { LOG_LEVEL: 'info', ...runnerEnv }),
      s.apps.start('job-runner', ports.runnerB, { LOG_LEVEL: 'info', ...runnerEnv }),
    ]);
    return { gateway, a, b };
  };

  /** A first job, finished before any fault, for the probe to read all along. */
  const probeTarget = async (s: Scenario) => {
    const warm = await s.submit(1, 0);
    if (!warm.ok) throw new Error(`warm-up submit answered ${warm.rec.answer}: ${warm.rec.detail}`);
    s.watch(warm.id);
    for (let i = 0; i < 100 && (await s.unfinished()) !== 0; i++) await sleep(100);
    s.probe(warm.id);
    return warm.id;
  };

  /** Submits at a fixed rate (not waiting for answers: a hanging answer must not slow the load) until stopped; watches every accepted job. */
  const submitLoop = (s: Scenario, o: { everyMs: number; tokens: number; delayMs: number; forMs?: number; watch?: boolean }) => {
    let stopped = false;
    const pending: Promise<unknown>[] = [];
    const done = (async () => {
      const end = Date.now() + (o.forMs ?? 120_000);
      while (!stopped && Date.now() < end) {
        pending.push(
          s.submit(o.tokens, o.delayMs).then((r) => {
            if (r.ok && o.watch !== false) s.watch(r.id);
          }),
        );
        await sleep(o.everyMs);
      }
      await Promise.all(pending);
    })();
    return {
      done,
      stop: async () => {
        stopped = true;
        await done;
      },
    };
  };

  it(
    'S1 kill -9 a job-runner mid-job (two runners): no failed request, every job finishes once',
    () =>
      scenario('S1', 'kill -9 job-runner mid-job', { tolerate: 'none' }, async (s) => {
        const { a } = await startTrio(s);
        await probeTarget(s);
        const load = submitLoop(s, { everyMs: 300, tokens: 30, delayMs: 100, forMs: 9000 });
        await s.waitRunning(4);
        await sleep(1500);
        await a.kill9();
        s.fault(`kill -9 job-runner A (pid ${a.exits[a.exits.length - 1]?.pid})`);
        s.repaired('no restart: runner B takes over');
        await load.done;
      }),
    SCENARIO_TIMEOUT,
  );

  it(
    'S2 SIGTERM rolling restart of two job-runners under load: no failed request, clean hand-back, exit 0',
    () =>
      scenario('S2', 'SIGTERM rolling restart of job-runners', { tolerate: 'none' }, async (s) => {
        const grace = 6000;
        const { a, b } = await startTrio(s, { SHUTDOWN_GRACE_MS: String(grace) });
        await probeTarget(s);
        // Two long jobs are still running when a grace period ends: they must be handed back, not lost.
        for (let i = 0; i < 2; i++) {
          const long = await s.submit(180, 100);
          if (long.ok) s.watch(long.id);
        }
        const load = submitLoop(s, { everyMs: 300, tokens: 50, delayMs: 100 });
        await sleep(2000);
        s.fault('rolling restart begins');
        for (const r of [a, b]) {
          const t0 = Date.now();
          const res = await r.terminate(grace + 7000);
          s.note(`SIGTERM ${r.name}: exited after ${res.ms} ms, code=${res.code} signal=${res.signal}${res.forced ? ', needed SIGKILL' : ''}`);
          // Nest re-raises the signal once its shutdown hooks have run, so a clean stop ends by SIGTERM (or exit 0); a crash in the hooks is exit 1.
          s.require(
            (res.code === 0 || res.signal === 'SIGTERM') && !res.forced && res.ms <= grace + 3000,
            `SIGTERM of ${r.name} was not a clean stop: code=${res.code} signal=${res.signal} after ${res.ms} ms${res.forced ? ' (still running at grace+7 s: SIGKILL)' : ''} (started t+${s.t(t0)} s)`,
          );
          await r.start();
          s.note(`${r.name} restarted`);
          await sleep(1500);
        }
        await load.stop();
        s.repaired('both runners restarted');
      }),
    SCENARIO_TIMEOUT,
  );

  it(
    'S3 kill -9 NATS with 20 SSE clients and running jobs: no process exits, jobs finish, clients resume exactly',
    () =>
      scenario('S3', 'kill -9 NATS with 20 SSE clients', { tolerate: 'honest-503' }, async (s) => {
        await startTrio(s);
        await probeTarget(s);
        for (let i = 0; i < 20; i++) {
          const j = await s.submit(60, 100);
          if (j.ok) s.watch(j.id);
        }
        await s.waitRunning(10);
        await sleep(1000);
        await infra.kill9('nats');
        s.fault('kill -9 NATS');
        await sleep(3000);
        await infra.start('nats');
        s.repaired('NATS restarted');
      }),
    SCENARIO_TIMEOUT,
  );

  it(
    'S4 kill -9 Redis during submits: no failed or duplicated submit, jobs run within seconds of its return, no wait on a dead Redis',
    () =>
      scenario('S4', 'kill -9 Redis during submits', { tolerate: 'none' }, async (s) => {
        // 4 worker slots per runner, so that jobs wait in the Redis queue when it dies (and come back empty).
        await startTrio(s, { JOB_CONCURRENCY: '4' });
        await probeTarget(s);
        const load = submitLoop(s, { everyMs: 200, tokens: 25, delayMs: 100, forMs: 10_000 });
        await sleep(2500);
        const backlog = await infra.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM job_runner.jobs GROUP BY status`);
        await infra.kill9('redis');
        s.fault(`kill -9 Redis (jobs by status just before: ${backlog.map((r) => `${r.status} ${r.n}`).join(', ')})`);
        await sleep(5000);
        await infra.start('redis');
        s.repaired('Redis restarted (empty: no persistence)');
        await load.done;
        const during = s.api.records.filter((r) => r.start >= s.faultAt! && r.start < s.repairedAt!);
        const p99 = percentile(
          during.map((r) => r.end - r.start),
          99,
        );
        const lat = (kind: string) => {
          const ms = during.filter((r) => r.kind === kind).map((r) => r.end - r.start);
          return `${kind} p50 ${percentile(ms, 50)} / p99 ${percentile(ms, 99)} ms (${ms.length})`;
        };
        s.note(
          `API latency while Redis was down: p99 ${p99} ms over ${during.length} calls (${during.filter(answered2xx).length} 2xx); ${lat('probe')}; ${lat('submit')}`,
        );
        s.require(
          p99 < FAST_FAILURE_MS,
          `with Redis down, API calls took p99 ${p99} ms over ${during.length} calls (the rate limiter / queue waits on a dead Redis)`,
        );
      }),
    SCENARIO_TIMEOUT,
  );

  it(
    'S5 Postgres stop/start during streams: fast honest 503s, no process exits, nothing stuck',
    () =>
      scenario('S5', 'Postgres stop/start during streams', { tolerate: 'honest-503', allowJobFailure: true }, async (s) => {
        await startTrio(s);
        const warm = await probeTarget(s);
        // Phase 1, no job running: what does the API answer while Postgres is down?
        await infra.stop('postgres');
        s.note('Postgres stopped, no job running');
        const idle = submitLoop(s, { everyMs: 400, tokens: 5, delayMs: 10, forMs: 2500 });
        await sleep(300);
        // Steady state of the outage: one after another, reads and submits must each be a fast 503.
        const burst: CallRecord[] = [];
        for (let i = 0; i < 100; i++) {
          burst.push(i % 2 ? (await s.submit(1, 0)).rec : await s.api.call('read', 'GET', `/v1/jobs/async/job/${warm}`));
        }
        const ms = burst.map((r) => r.end - r.start);
        const p99 = percentile(ms, 99);
        s.note(`with Postgres down, 100 sequential calls: p50 ${percentile(ms, 50)} / p99 ${p99} ms, answers ${JSON.stringify(countAnswers(burst))}`);
        s.require(
          p99 < HONEST_503_P99_MS && burst.every((r) => r.answer === 503 && r.retryAfter),
          `with Postgres down, 100 sequential calls: p99 ${p99} ms (target < ${HONEST_503_P99_MS} ms), answers ${JSON.stringify(countAnswers(burst))}`,
        );
        await sleep(1500);
        await infra.start('postgres');
        await idle.done;
        s.note('Postgres started');
        await sleep(1500);
        // Phase 2: Postgres goes away while jobs stream tokens.
        for (let i = 0; i < 10; i++) {
          const j = await s.submit(60, 100);
          if (j.ok) s.watch(j.id);
        }
        await s.waitRunning(5);
        await sleep(1000);
        await infra.stop('postgres');
        s.fault('Postgres stopped (fast shutdown: sessions terminated with 57P01)');
        const load = submitLoop(s, { everyMs: 500, tokens: 10, delayMs: 50, forMs: 4000 });
        await sleep(4000);
        await infra.start('postgres');
        s.repaired('Postgres started');
        await load.done;
      }),
    SCENARIO_TIMEOUT,
  );

  it(
    'S6 kill -9 the gateway with 8 EventSource clients at default caps: every client resumes exactly after a restart',
    () =>
      scenario('S6', 'kill -9 gateway, 8 EventSource clients, default caps', { tolerate: 'gateway-down' }, async (s) => {
        const [gateway] = await Promise.all([s.apps.start('gateway', ports.gateway), s.apps.start('job-runner', ports.runnerA, { LOG_LEVEL: 'info' })]);
        await probeTarget(s);
        const browser = newAddress(); // one caller: MAX_STREAMS_PER_CALLER=10 (default) counts all 8
        for (let i = 0; i < 8; i++) {
          const j = await s.submit(150, 100, browser);
          if (j.ok) s.watch(j.id, { address: browser });
        }
        await s.waitRunning(8);
        await sleep(2000);
        await gateway.kill9();
        s.fault('kill -9 gateway');
        await gateway.start();
        s.repaired('gateway restarted on the same port');
        await sleep(8000); // the clients reconnect (retry: 3 s)
        const gaveUp = s.watched.filter((w) => w.es.outcome === 'failed');
        s.note(`${gaveUp.length} of ${s.watched.length} clients gave up: ${[...new Set(gaveUp.map((w) => w.es.failure?.slice(0, 60)))].join('; ')}`);
      }),
    SCENARIO_TIMEOUT,
  );

  it(
    'S7 slow readers are cut at the buffer bound and resume exactly; fast readers are not affected',
    () =>
      scenario('S7', 'slow readers', { tolerate: 'none' }, async (s) => {
        // Default bound (SSE_MAX_BUFFER_BYTES 4 MiB): ~10 MB of 4 KB tokens in ~3 s, while a slow reader does not read for 6 s
        // (the kernel's socket buffers take up to ~4 MB of that on loopback).
        await Promise.all([s.apps.start('gateway', ports.gateway), s.apps.start('job-runner', ports.runnerA, { LOG_LEVEL: 'info' })]);
        await probeTarget(s);
        const id = s.nextJobId();
        const rec = await s.api.submit(id, `question ${id} [[tokens=2500 delay=1 size=4000]]`);
        const j = { id, ok: answered2xx(rec), rec };
        if (!j.ok) throw new Error(`submit answered ${j.rec.answer}`);
        const fast = [0, 1, 2].map(() => s.watch(j.id));
        const slow = [0, 1, 2].map(() => s.watch(j.id, { stallMs: 6000, stallOnce: true, readDelayMs: 20 }));
        await Promise.race([Promise.all([...fast, ...slow].map((es) => es.done)), raceTimeout(60_000)]);
        s.note(
          `slow readers' connections: ${slow.map((es) => es.attempts.length).join(', ')}; fast readers': ${fast.map((es) => es.attempts.length).join(', ')}`,
        );
        s.require(
          slow.every((es) => es.attempts.length >= 2),
          `a slow reader was never cut (connections ${slow.map((es) => es.attempts.length).join(', ')}): the buffer bound was not exercised or not enforced`,
        );
        s.require(
          fast.every((es) => es.attempts.length === 1),
          `a fast reader was cut too (connections ${fast.map((es) => es.attempts.length).join(', ')})`,
        );
        s.repaired('job finished');
      }),
    SCENARIO_TIMEOUT,
  );

  it(
    'S8 a stalled request body (and stalled headers) is answered or closed within seconds and does not block a graceful gateway stop',
    () =>
      scenario('S8', 'stalled request body', { tolerate: 'gateway-down' }, async (s) => {
        const bound = 10_000;
        const [gateway] = await Promise.all([s.apps.start('gateway', ports.gateway), s.apps.start('job-runner', ports.runnerA, { LOG_LEVEL: 'info' })]);
        await probeTarget(s);
        const body = stalled(ports.gateway, 'body');
        const headers = stalled(ports.gateway, 'headers');
        s.fault('two stalled requests opened (body incomplete; headers incomplete)');
        await Promise.race([Promise.all([body.ended, headers.ended]), raceTimeout(bound + 2000)]);
        for (const [name, st] of [
          ['stalled body', body],
          ['stalled headers', headers],
        ] as const) {
          s.note(`${name}: ${st.result()}`);
          s.require(st.endedAfter !== null && st.endedAfter <= bound, `${name}: ${st.result()} (must be answered or closed within ${bound / 1000} s)`);
        }
        const api = await s.api.call('get', 'GET', '/v1/jobs/async/agents', {});
        s.require(answered2xx(api), `the API did not answer while stalled requests were open: ${api.answer}`);
        // A graceful stop with a stalled request open must not wait for it.
        const third = stalled(ports.gateway, 'body');
        await sleep(300);
        await s.stopProbe();
        const stop = await gateway.terminate(15_000);
        s.note(
          `SIGTERM gateway with a stalled request open: exited after ${stop.ms} ms, code=${stop.code}${stop.forced ? ', needed SIGKILL' : ''}; stalled request ${third.result()}`,
        );
        s.require(
          !stop.forced && stop.ms <= bound,
          `graceful gateway stop took ${stop.ms} ms${stop.forced ? ' and needed SIGKILL (blocked by the stalled request)' : ''}`,
        );
        s.require(stop.code === 0, `gateway exited with code ${stop.code} signal ${stop.signal} on SIGTERM`);
        third.destroy();
        body.destroy();
        headers.destroy();
        s.repaired('gateway stopped');
      }),
    SCENARIO_TIMEOUT,
  );
});

/** A raw TCP request that never completes: its headers (or body) stop half-way. Records when and how the server ends it. */
function stalled(port: number, part: 'body' | 'headers') {
  const t0 = Date.now();
  const socket = net.connect({ port, host: '127.0.0.1' });
  let answer = '';
  let endedAfter: number | null = null;
  let how = '';
  const ended = new Promise<void>((resolve) => {
    const finish = (why: string) => {
      if (endedAfter === null) {
        endedAfter = Date.now() - t0;
        how = why;
      }
      resolve();
    };
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      if (endedAfter === null) finish(`answered "${answer.split('\r\n')[0]}"`);
    });
    socket.on('close', () => finish('closed without an answer'));
    socket.on('error', (err) => finish(`error ${err.message}`));
  });
  socket.on('connect', () => {
    const head = `POST /v1/jobs/async/submit HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Forwarded-For: ${newAddress()}\r\nContent-Type: application/json\r\n`;
    if (part === 'headers')
      socket.write(head); // never the blank line
    else socket.write(`${head}Content-Length: 200\r\n\r\n{"agent_type":"echo","inp`); // 25 of 200 bytes
  });
  return {
    ended,
    get endedAfter() {
      return endedAfter;
    },
    result: () => (endedAfter === null ? `still open after ${Date.now() - t0} ms` : `${how} after ${endedAfter} ms`),
    destroy: () => socket.destroy(),
  };
}
