// Replay: a finished job's whole log read over SSE (fetch + eventsource-parser) — every event, in
// order, no `stream.mode` frame, ending with the terminal status. The log is written by the
// production JobStore and EventLog (submitted, running, N−3 llm.chunk in 500-event batches, success).
import { createParser } from 'eventsource-parser';
import { sumCpu } from '../lib/cpu.mjs';
import { knob, log } from '../lib/report.mjs';

export async function run(ctx, results) {
  const EVENTS = knob('BENCH_REPLAY_EVENTS', 10_000, 2_000);
  const READS = knob('BENCH_REPLAY_READS', 5, 3);
  const { db, prod, cpu, base } = ctx;

  const job = await ctx.runningJob('replay', { owner: 'anonymous', input: 'replay bench' });
  for (let written = 3; written < EVENTS;) {
    const n = Math.min(500, EVENTS - written);
    const events = Array.from({ length: n }, (_, i) => ({
      type: 'llm.chunk',
      timestamp: new Date().toISOString(),
      data: { content: `token ${written + i} `, step: 'answer' },
    }));
    await prod.eventLog.insert(job.id, job.attempt, events);
    written += n;
  }
  await prod.eventLog.transition({ jobId: job.id, to: 'success', from: ['running'], attempt: job.attempt });

  const replayOnce = async () => {
    const t0 = performance.now();
    const res = await fetch(`${base}/job/${job.id}/stream`);
    if (res.status !== 200) throw new Error(`replay: HTTP ${res.status}`);
    let n = 0;
    let expect = 1;
    let outOfOrder = 0;
    let modeFrames = 0;
    let last;
    const parser = createParser({
      onEvent: (ev) => {
        if (ev.event === 'stream.mode') return void modeFrames++;
        if (Number(ev.id) !== expect) outOfOrder++;
        expect = Number(ev.id) + 1;
        n++;
        last = ev;
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of res.body) parser.feed(decoder.decode(chunk, { stream: true }));
    const ms = performance.now() - t0;
    const terminal = last?.event === 'job.status' && JSON.parse(last.data).data.status === 'success';
    return { ms: Math.round(ms), events: n, out_of_order: outOfOrder, stream_mode_frames: modeFrames, ended_with_success: terminal };
  };
  const runs = [];
  const phases = [];
  for (let i = 0; i < READS; i++) {
    const phase = cpu.start();
    runs.push(await replayOnce());
    phases.push(phase.stop());
  }
  const cpuPerEvent = cpu.print(
    'replay reads',
    sumCpu(phases),
    runs.reduce((a, r) => a + r.events, 0),
    'event',
  );
  await db.query(`DELETE FROM job_runner.jobs WHERE id = $1`, [job.id]);

  const sorted = runs.map((r) => r.ms).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const allOk = runs.every((r) => r.events === EVENTS && r.out_of_order === 0 && r.stream_mode_frames === 0 && r.ended_with_success);
  results.figures.replay = { events: EVENTS, runs, median_ms: median, worst_ms: sorted.at(-1), cpu: cpuPerEvent };
  log(`replay: ${runs.map((r) => `${r.ms} ms/${r.events} ev`).join(', ')}`);
  results.verdict(`replay ${EVENTS} events over SSE (median of ${READS}; worst ${sorted.at(-1)} ms, first ${runs[0].ms} ms)`, {
    value: median,
    unit: 'ms',
    target: '< 1000 ms, all in order',
    pass: median < 1000 && sorted.at(-1) < 1000 && allOk,
  });
}
