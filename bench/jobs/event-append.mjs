// Event append: the production EventLog.insert (compiled job-runner code: the seq-counter statement,
// then each batch published on the job's subject) from 20 concurrent jobs in 50-event batches, vs a
// raw multi-row INSERT of the same rows into the same table. Raw and production alternate in rounds
// so that background load hits both alike; what production wrote is checked gap-free.
import { sumCpu } from '../lib/cpu.mjs';
import { knob, log, ratio } from '../lib/report.mjs';

export async function run(ctx, results) {
  const JOBS = knob('BENCH_APPEND_JOBS', 20, 10);
  const BATCH = knob('BENCH_APPEND_BATCH', 50);
  const ROUNDS = knob('BENCH_APPEND_ROUNDS', 3, 2);
  const ROUND_S = knob('BENCH_APPEND_ROUND_S', 4, 2);
  const { db, prod, cpu } = ctx;

  // Jobs in `running` (written by JobStore + EventLog.transition): seq 1 submitted, seq 2 running.
  const prodJobs = await Promise.all(Array.from({ length: JOBS }, () => ctx.runningJob('append')));
  const rawJobs = await Promise.all(Array.from({ length: JOBS }, () => ctx.runningJob('append-raw')));
  const rawSeq = new Map(rawJobs.map((j) => [j.id, 2]));
  let tokenNo = 0;
  const batchOf = () =>
    Array.from({ length: BATCH }, () => ({ type: 'llm.chunk', timestamp: new Date().toISOString(), data: { content: `tok${tokenNo++} `, step: 'answer' } }));

  // Production: what a run's JobEventWriter does per write batch.
  const prodAppend = async (job) => {
    const events = batchOf();
    const written = await prod.eventLog.insert(job.id, job.attempt, events);
    if (written.length !== events.length) throw new Error(`append: ${written.length} written of ${events.length}`);
    return events.length;
  };
  // Raw: the same rows as one multi-row INSERT, seqs assigned client-side, nothing published.
  const rawAppend = async (job) => {
    const events = batchOf();
    const params = [];
    const values = events.map((e, i) => {
      params.push(job.id, rawSeq.get(job.id) + i + 1, e.type, e.timestamp, JSON.stringify(e.data));
      const b = i * 5;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, NULL)`;
    });
    rawSeq.set(job.id, rawSeq.get(job.id) + events.length);
    await db.query(`INSERT INTO job_runner.job_events (job_id, seq, type, ts, data, metadata) VALUES ${values.join(', ')}`, params);
    return events.length;
  };
  const drive = async (jobs, fn, seconds) => {
    let n = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(
      jobs.map(async (job) => {
        while (performance.now() < end) n += await fn(job);
      }),
    );
    await ctx.nc.flush();
    return { events: n, seconds: (performance.now() - t0) / 1000 };
  };

  await drive(rawJobs, rawAppend, 1);
  await drive(prodJobs, prodAppend, 1);
  const tot = { prod: { events: 0, seconds: 0 }, raw: { events: 0, seconds: 0 } };
  const perRound = [];
  const prodCpu = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = await drive(rawJobs, rawAppend, ROUND_S);
    const phase = cpu.start();
    const b = await drive(prodJobs, prodAppend, ROUND_S);
    prodCpu.push(phase.stop());
    tot.raw.events += a.events;
    tot.raw.seconds += a.seconds;
    tot.prod.events += b.events;
    tot.prod.seconds += b.seconds;
    perRound.push({ raw: Math.round(a.events / a.seconds), prod: Math.round(b.events / b.seconds) });
    log(`append round ${r + 1}: raw ${perRound.at(-1).raw} ev/s, production ${perRound.at(-1).prod} ev/s`);
  }
  const prodRate = Math.round(tot.prod.events / tot.prod.seconds);
  const rawRate = Math.round(tot.raw.events / tot.raw.seconds);
  // The writer is this process here (EventLog runs in the bench, standing in for the worker).
  const cpuPerEvent = cpu.print('event append (production rounds; the writer is the bench process)', sumCpu(prodCpu), tot.prod.events, 'event');

  // What production wrote: per job, seqs 1..last_seq with no gap.
  const ids = prodJobs.map((j) => j.id);
  const { rows: gaps } = await db.query(
    `SELECT j.id FROM job_runner.jobs j JOIN job_runner.job_events e ON e.job_id = j.id
     WHERE j.id = ANY($1) GROUP BY j.id, j.last_seq HAVING count(e.seq) <> j.last_seq OR max(e.seq) <> j.last_seq`,
    [ids],
  );
  await db.query(`DELETE FROM job_runner.jobs WHERE id = ANY($1)`, [[...ids, ...rawJobs.map((j) => j.id)]]);

  results.figures.append = {
    production_events_per_s: prodRate,
    raw_events_per_s: rawRate,
    batch: BATCH,
    jobs: JOBS,
    rounds: perRound,
    seq_anomalies: gaps.length,
    cpu: cpuPerEvent,
  };
  results.verdict(`event append (${BATCH}/batch, ${JOBS} jobs) vs raw batched INSERT`, {
    value: prodRate,
    unit: 'events/s',
    baseline: rawRate,
    ratio: ratio(prodRate, rawRate),
    target: '≥ 0.5×',
    pass: prodRate / rawRate >= 0.5 && gaps.length === 0,
  });
}
