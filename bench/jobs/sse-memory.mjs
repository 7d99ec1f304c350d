// Memory per idle SSE connection: VmRSS of a second, untouched gateway with 500 streams open on a
// running (quiet) job, then with 5 000 more; the growth divided by 5 000, vs a bare node:http SSE
// server measured the same way and — information — the same handler behind a bare express app.
// Keeping 500 streams open under the baseline makes the figure the marginal cost per connection.
import fs from 'node:fs';
import { forkChild, nextMessage } from '../lib/children.mjs';
import { knob, log, ratio, sleep } from '../lib/report.mjs';

function rssKb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

export async function run(ctx, results) {
  const IDLE = knob('BENCH_IDLE_STREAMS', 5000, 1000);
  const WARM = knob('BENCH_WARM_STREAMS', 500, 200);
  const SETTLE_MS = knob('BENCH_SETTLE_S', 5, 2) * 1000;
  const gw = ctx.memGateway;
  const memBase = `${gw.url}/v1/jobs/async`;

  const fdLimit = Number(fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+)/)?.[1] ?? 0);
  if (fdLimit && fdLimit < IDLE + WARM + 1000) log(`warning: open-file limit is ${fdLimit}; ${IDLE + WARM} streams need more (raise it with ulimit -n)`);

  const { job_id: idleJob } = await ctx.submit({ agent_type: 'shallow_researcher', input: 'idle bench [[tokens=1 delay=0 hold=idle]]' }, memBase);
  await ctx.waitStatus(idleJob, ['running'], 60_000, memBase);

  const measure = async (label, pid, url) => {
    // WARM streams opened and kept open first, so lazily loaded code, pools and a heap sized for open
    // streams exist before the baseline (a closed warm-up made runs vary by ±50 %).
    const { child: warm } = await forkChild('sse-clients', ctx.services);
    const warmConnected = nextMessage(warm, 'connected');
    warm.send({ cmd: 'open', url, count: WARM, concurrency: 100, measure: false });
    await warmConnected;
    await sleep(SETTLE_MS);
    const before = rssKb(pid);
    const { child } = await forkChild('sse-clients', ctx.services);
    const connected = nextMessage(child, 'connected', 300_000);
    const t0 = performance.now();
    child.send({ cmd: 'open', url, count: IDLE, concurrency: 200, measure: false });
    const c = await connected;
    const openMs = Math.round(performance.now() - t0);
    await sleep(SETTLE_MS); // let the allocations of the ramp be collected
    const after = rssKb(pid);
    child.send({ cmd: 'close' });
    warm.send({ cmd: 'close' });
    await Promise.all([nextMessage(child, 'closed'), nextMessage(warm, 'closed')]);
    const perConnKb = (after - before) / c.connected;
    log(`memory ${label}: ${c.connected}/${IDLE} open in ${openMs} ms; RSS ${before} → ${after} kB = ${perConnKb.toFixed(2)} kB/conn`);
    return {
      connected: c.connected,
      failed: c.failed,
      statuses: c.statuses,
      rss_before_kb: before,
      rss_after_kb: after,
      kb_per_connection: +perConnKb.toFixed(2),
      open_ms: openMs,
    };
  };

  const gateway = await measure('gateway', gw.pid, `${memBase}/job/${idleJob}/stream`);
  const { child: bare, ready: br } = await forkChild('bare-sse', ctx.services);
  const bareMem = await measure('bare node:http', bare.pid, `http://127.0.0.1:${br.port}/sse`);
  bare.kill();
  const { child: ex, ready: exr } = await forkChild('express-sse', ctx.services);
  const express = await measure('bare express', ex.pid, `http://127.0.0.1:${exr.port}/sse`);
  ex.kill();
  ctx.mock.release('idle');

  results.figures.memory = { streams: IDLE, warm_streams: WARM, gateway, bare: bareMem, express };
  results.verdict(`memory per idle SSE connection (marginal, ${IDLE} over ${WARM})`, {
    value: gateway.kb_per_connection,
    unit: 'kB/conn',
    baseline: bareMem.kb_per_connection,
    ratio: ratio(gateway.kb_per_connection, bareMem.kb_per_connection),
    target: '≤ 2×',
    pass: gateway.kb_per_connection / bareMem.kb_per_connection <= 2 && gateway.connected === IDLE && bareMem.connected === IDLE,
  });
  results.info('memory per idle SSE connection, bare express (floor of the HTTP framework)', {
    value: express.kb_per_connection,
    unit: 'kB/conn',
    baseline: bareMem.kb_per_connection,
    ratio: ratio(express.kb_per_connection, bareMem.kb_per_connection),
  });
}
