// Live fan-out: 1 000 SSE streams (in 2 client processes) on one running shallow_researcher job;
// once all are live the mock LLM streams 400 tokens at one per 25 ms. For every live llm.chunk:
// client receive time − event.timestamp (set when the agent emits it), i.e. emit → client. Also, to
// locate the tail: emit → a NATS subscriber in the bench (the production Bus, on the job's subject
// from the contracts), and per event the first client to receive it.
import { forkChild, nextMessage } from '../lib/children.mjs';
import { percentile } from '../lib/load.mjs';
import { knob, log } from '../lib/report.mjs';

export async function run(ctx, results) {
  const STREAMS = knob('BENCH_LIVE_STREAMS', 1000, 200);
  const TOKENS = knob('BENCH_LIVE_TOKENS', 400, 100);
  const DELAY = knob('BENCH_LIVE_DELAY_MS', 25);
  const PROCS = knob('BENCH_LIVE_CLIENT_PROCS', 2, 1);
  const { base, prod, subjects } = ctx;

  const { job_id: jobId } = await ctx.submit({ agent_type: 'shallow_researcher', input: `live bench [[tokens=${TOKENS} delay=${DELAY} hold=live]]` });
  await ctx.waitStatus(jobId, ['running']);
  const procs = await Promise.all(Array.from({ length: PROCS }, () => forkChild('sse-clients', ctx.services)));
  const per = Math.ceil(STREAMS / PROCS);
  const t0 = performance.now();
  const connectedMsgs = procs.map(({ child }) => nextMessage(child, 'connected', 180_000));
  const doneMsgs = procs.map(({ child }) => nextMessage(child, 'done', 600_000));
  procs.forEach(({ child }, i) =>
    child.send({ cmd: 'open', url: `${base}/job/${jobId}/stream`, count: Math.min(per, STREAMS - i * per), concurrency: 100, measure: true }),
  );
  const connected = await Promise.all(connectedMsgs);
  const nConnected = connected.reduce((a, m) => a + m.connected, 0);
  log(
    `live: ${nConnected}/${STREAMS} streams live in ${Math.round(performance.now() - t0)} ms${connected.some((m) => m.failed) ? ` (failed: ${JSON.stringify(connected.map((m) => m.statuses))})` : ''}`,
  );

  // What a NATS subscriber sees (emit → published): the part of the latency before any gateway.
  const published = [];
  const sub = await prod.bus.subscribe(subjects.live, jobId, (body) => {
    const now = Date.now();
    for (const e of Array.isArray(body) ? body : [body]) if (e.type === 'llm.chunk') published.push(now - Date.parse(e.timestamp));
  });
  await ctx.nc.flush();

  const meter = ctx.cpu.with({ 'sse clients': () => procs.map(({ child }) => child.pid) });
  const phase = meter.start();
  ctx.mock.release('live');
  const done = await Promise.all(doneMsgs);
  const cpuRaw = phase.stop();
  sub.unsubscribe();
  published.sort((a, b) => a - b);
  for (const { child } of procs) child.kill();

  const lat = done.flatMap((m) => m.latencies).sort((a, b) => a - b);
  const cpu = meter.print(`live fan-out to ${nConnected} streams`, cpuRaw, lat.length, 'delivery');
  const incomplete = done.flatMap((m) => m.chunks).filter((c) => c !== TOKENS).length;
  const seqErrors = done.flatMap((m) => m.seqErrors);
  // Per event, the first client to get it: its delay is upstream of the fan-out (batching, insert,
  // NATS, the gateway's first write); the rest of each sample is the fan-out and the client.
  const first = {};
  for (const m of done) for (const [seq, ms] of Object.entries(m.firstBySeq)) if (!(first[seq] <= ms)) first[seq] = ms;
  const firstLat = Object.values(first).sort((a, b) => a - b);
  const job = await ctx.waitStatus(jobId, ['success', 'failure'], 30_000);
  const live = {
    streams: STREAMS,
    connected: nConnected,
    tokens: TOKENS,
    token_delay_ms: DELAY,
    samples: lat.length,
    p50_ms: percentile(lat, 50),
    p90_ms: percentile(lat, 90),
    p99_ms: percentile(lat, 99),
    max_ms: lat.at(-1),
    emit_to_nats_subscriber: { p50_ms: percentile(published, 50), p99_ms: percentile(published, 99), max_ms: published.at(-1) },
    first_client_per_event: { p50_ms: percentile(firstLat, 50), p99_ms: percentile(firstLat, 99), max_ms: firstLat.at(-1) },
    streams_missing_chunks: incomplete,
    seq_errors: seqErrors,
    job_status: job.status,
    client_processes: PROCS,
    cpu,
  };
  results.figures.live = live;
  log(`live: ${JSON.stringify({ ...live, cpu: undefined })}`);
  results.verdict(`live emit→client latency, ${STREAMS} streams (p50 ${live.p50_ms} ms)`, {
    value: live.p99_ms,
    unit: 'ms p99',
    target: 'p99 < 50 ms',
    pass: live.p99_ms < 50 && incomplete === 0 && seqErrors.length === 0 && nConnected === STREAMS,
  });
}
