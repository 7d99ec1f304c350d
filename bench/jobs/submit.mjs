// Submit: POST /v1/jobs/async/submit (echo) under load, against the gateway's own no-op route
// (GET /health/live) measured in the same run — the floor of any request through this gateway — and
// the CPU each submitted job costs in every process. Raw pg inserts, raw Bull adds and a bare express
// route are measured too, as information.
import { randomUUID } from 'node:crypto';
import Bull from 'bull';
import { forkChild } from '../lib/children.mjs';
import { closedLoop, openLoop, sequential } from '../lib/load.mjs';
import { knob, log, ratio } from '../lib/report.mjs';

/** One client, one request at a time: submit, GET /job (same path without the insert and the enqueue), GET /agents. */
export async function sequentialLatency(ctx, results) {
  const { submit, base, probeJobId } = ctx;
  await sequential(() => submit({ agent_type: 'echo', input: 'seq warm' }), 10);
  const seq = {
    submit: await sequential(() => submit({ agent_type: 'echo', input: 'seq' })),
    get_job: await sequential(() => fetch(`${base}/job/${probeJobId}`).then((r) => r.text())),
    agents: await sequential(() => fetch(`${base}/agents`).then((r) => r.text())),
  };
  results.figures.sequential = seq;
  log(`sequential latency: submit ${JSON.stringify(seq.submit)}, GET /job ${JSON.stringify(seq.get_job)}, GET /agents ${JSON.stringify(seq.agents)}`);
  results.info('sequential p50, one client: submit', {
    value: seq.submit.p50_ms,
    unit: 'ms',
    baseline: `GET /job ${seq.get_job.p50_ms}, GET /agents ${seq.agents.p50_ms}`,
  });
  await ctx.waitDrained();
}

export async function run(ctx, results) {
  const DURATION = knob('BENCH_DURATION_S', 10, 3);
  const CONNECTIONS = knob('BENCH_CONNECTIONS', 50, 20);
  const { base, db, waitDrained, cpu, run: runId } = ctx;
  const body = JSON.stringify({ agent_type: 'echo', input: 'hello bench' });
  const submitUrl = `${base}/submit`;
  const noopUrl = `${ctx.gateway.url}/health/live`;
  const submitLoad = (opts = {}) => closedLoop({ url: submitUrl, method: 'POST', body, connections: CONNECTIONS, duration: DURATION, ...opts });
  const noopLoad = (opts = {}) => closedLoop({ url: noopUrl, connections: CONNECTIONS, duration: DURATION, ...opts });

  await sequentialLatency(ctx, results);

  log('submit: warm-up');
  await submitLoad({ duration: Math.min(3, DURATION), connections: 10 });
  await waitDrained();

  // ── information: the raw components ──
  const { child: expressChild, ready: er } = await forkChild('express-hello', ctx.services);
  const helloUrl = `http://127.0.0.1:${er.port}/hello`;
  await closedLoop({ url: helloUrl, method: 'POST', body, connections: CONNECTIONS, duration: 2 });
  const express = await closedLoop({ url: helloUrl, method: 'POST', body, connections: CONNECTIONS, duration: DURATION });
  expressChild.kill();
  log(`submit: bare express ${express.rps} req/s, p99 ${express.p99_ms} ms`);

  // Raw pg single-row inserts, 20 concurrent on a pool of 20, into a scratch table shaped like jobs.
  await db.query('CREATE SCHEMA IF NOT EXISTS bench_scratch');
  await db.query('DROP TABLE IF EXISTS bench_scratch.submits');
  await db.query(`CREATE TABLE bench_scratch.submits (
    id varchar(64) PRIMARY KEY, owner varchar(320) NOT NULL, agent_type varchar(64) NOT NULL, input text NOT NULL,
    options jsonb NOT NULL DEFAULT '{}', status varchar(16) NOT NULL, expiry_seconds integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now())`);
  const rawPg = async (seconds) => {
    let n = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (performance.now() < end) {
          await db.query(
            `INSERT INTO bench_scratch.submits (id, owner, agent_type, input, options, status, expiry_seconds) VALUES ($1, 'anonymous', 'echo', $2, $3, 'submitted', 86400)`,
            [randomUUID(), 'hello bench', '{"principal":{"type":"anonymous","sub":"anonymous"}}'],
          );
          n++;
        }
      }),
    );
    return Math.round(n / seconds);
  };
  await rawPg(1);
  const pgRate = await rawPg(DURATION);
  await db.query('DROP SCHEMA bench_scratch CASCADE');
  log(`submit: raw pg ${pgRate} inserts/s`);

  // Raw Bull adds, 50 concurrent, one job each, with the options JobQueue gives its jobs.
  const rawQueue = new Bull(`bench-raw-${runId}`, ctx.redisUrl);
  const rawBull = async (seconds) => {
    let n = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (performance.now() < end) {
          const id = randomUUID();
          await rawQueue.add({ job_id: id }, { jobId: id, removeOnComplete: true, removeOnFail: 1000, attempts: 1 });
          n++;
        }
      }),
    );
    return Math.round(n / seconds);
  };
  await rawBull(1);
  const bullRate = await rawBull(DURATION);
  await rawQueue.obliterate({ force: true }).catch(() => undefined);
  await rawQueue.close();
  log(`submit: raw Bull ${bullRate} adds/s`);

  // ── the product, with the workers elsewhere ──
  // The worker runner is stopped: on these shared cores running the echo jobs would be counted as
  // submit cost, and neither the no-op route nor the raw baselines run any. Each figure's CPU is
  // metered over its run.
  await ctx.stopWorker();
  let noop, noopCpu, full, fullCpu, ownHalf, noopHalf, half;
  const rawMin = Math.min(pgRate, bullRate);
  const halfRaw = Math.max(1, Math.floor(rawMin / 2));
  try {
    await noopLoad({ duration: 2 });
    let phase = cpu.start();
    noop = await noopLoad();
    noopCpu = cpu.print('gateway no-op GET /health/live', phase.stop(), noop.ok, 'request');
    log(`submit: gateway no-op ${noop.rps} req/s, p99 ${noop.p99_ms} ms`);

    phase = cpu.start();
    full = await submitLoad();
    fullCpu = cpu.print('submit, workers elsewhere', phase.stop(), full.ok, 'job');
    log(`submit (workers elsewhere): ${full.rps} req/s, p99 ${full.p99_ms} ms (non-2xx ${full.non2xx}, errors ${full.errors})`);

    // Latency at a given load (open loop), submit and no-op at the same offered rate: half the
    // product's own maximum. Half the raw minimum (the old target's load) only when the product reaches it:
    // beyond the maximum an open-loop test measures a growing queue.
    const rate = Math.max(1, Math.floor(full.rps / 2));
    ownHalf = await openLoop({ url: submitUrl, body, rate, seconds: DURATION });
    noopHalf = await openLoop({ url: noopUrl, method: 'GET', rate, seconds: DURATION });
    log(
      `submit at ${rate} req/s offered (half its max): p50 ${ownHalf.p50_ms} ms, p99 ${ownHalf.p99_ms} ms; no-op at the same rate: p99 ${noopHalf.p99_ms} ms`,
    );
    half = full.rps >= halfRaw ? await openLoop({ url: submitUrl, body, rate: halfRaw, seconds: DURATION }) : null;
  } finally {
    await ctx.startWorker();
    await waitDrained();
  }

  // ── information: the same with the worker executing every echo job on this machine ──
  // CPU from the first submit until the last job finished: what a job costs, submitted and executed.
  const phase = cpu.start();
  const withJobs = await submitLoad();
  const drainS = await waitDrained();
  const withJobsCpu = cpu.print('submit + execute (echo), worker on this machine', phase.stop(), withJobs.ok, 'job');
  log(`submit (echo jobs running here): ${withJobs.rps} req/s, p99 ${withJobs.p99_ms} ms; backlog done ${drainS.toFixed(1)} s after the run`);

  results.figures.submit = {
    noop,
    gateway: full,
    ratio_to_noop: +(full.rps / noop.rps).toFixed(3),
    half_own_max: ownHalf,
    noop_at_same_rate: noopHalf,
    half_raw_min: half ?? { offered_rps: halfRaw, served: false },
    cpu: { noop_per_request: noopCpu, per_job_workers_elsewhere: fullCpu, per_job_submitted_and_executed: withJobsCpu },
    express,
    raw_pg_inserts_per_s: pgRate,
    raw_bull_adds_per_s: bullRate,
    with_jobs_running: { full: withJobs, backlog_drain_s: drainS },
  };
  results.verdict('submit req/s (workers elsewhere) vs the gateway no-op GET /health/live', {
    value: full.rps,
    unit: 'req/s',
    baseline: noop.rps,
    ratio: ratio(full.rps, noop.rps),
    // No target: the old one (≥ 0.5× raw pg inserts) is withdrawn, and the no-op floor is the figure to track run to run.
    target: 'info (0 non-2xx)',
    pass: full.non2xx === 0 && full.errors === 0,
  });
  results.info('submit CPU per job, all processes (workers elsewhere)', {
    value: fullCpu.us_per_job.total,
    unit: 'µs',
    baseline: `no-op ${noopCpu.us_per_request.total}`,
    ratio: ratio(fullCpu.us_per_job.total, noopCpu.us_per_request.total),
  });
  results.info('CPU per job submitted and executed (echo), all processes', { value: withJobsCpu.us_per_job.total, unit: 'µs' });
  results.info(`submit p99 at half its own max (${ownHalf.offered_rps} req/s offered, ${ownHalf.rps} served)`, {
    value: ownHalf.p99_ms,
    unit: 'ms',
    baseline: `no-op ${noopHalf.p99_ms}`,
  });
  results.info(`submit p99 at half min(raw pg, raw Bull) (${halfRaw} req/s)`, {
    value: half ? half.p99_ms : 'above the maximum: not offered',
    unit: half ? 'ms' : '',
  });
  results.info('submit req/s vs bare express POST', { value: full.rps, unit: 'req/s', baseline: express.rps, ratio: ratio(full.rps, express.rps) });
  results.info('submit req/s vs min(raw pg insert, raw Bull add)', {
    value: full.rps,
    unit: 'req/s',
    baseline: `${rawMin} (pg ${pgRate}, Bull ${bullRate})`,
    ratio: ratio(full.rps, rawMin),
  });
  results.info('submit req/s with the echo jobs executing on this machine', { value: withJobs.rps, unit: 'req/s' });
}
