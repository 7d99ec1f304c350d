// The job engine benchmarks, in the order a full run takes them. Light on purpose: scripts/bench.mjs
// reads the names; a benchmark's module is imported only when it runs.
export const JOB_BENCHMARKS = [
  { name: 'submit', aliases: [], load: () => import('./submit.mjs').then((m) => m.run) },
  { name: 'append', aliases: ['event-append'], load: () => import('./event-append.mjs').then((m) => m.run) },
  { name: 'replay', aliases: [], load: () => import('./replay.mjs').then((m) => m.run) },
  { name: 'live', aliases: ['live-fanout'], load: () => import('./live-fanout.mjs').then((m) => m.run) },
  { name: 'memory', aliases: ['sse-memory'], needs: { memoryGateway: true }, load: () => import('./sse-memory.mjs').then((m) => m.run) },
  // Not part of a full run on its own: submit measures it too.
  { name: 'seq', aliases: ['sequential'], extra: true, load: () => import('./submit.mjs').then((m) => m.sequentialLatency) },
];

/** Every name a job benchmark answers to. */
export const JOB_BENCHMARK_NAMES = JOB_BENCHMARKS.flatMap((b) => [b.name, ...b.aliases]);

/** The benchmarks named (in run order), all of a full run when none is; throws on an unknown name. */
export function selectJobBenchmarks(names) {
  if (names.length === 0) return JOB_BENCHMARKS.filter((b) => !b.extra);
  const unknown = names.filter((n) => !JOB_BENCHMARK_NAMES.includes(n));
  if (unknown.length) throw new Error(`unknown job benchmark ${unknown.join(', ')} (known: ${JOB_BENCHMARK_NAMES.join(', ')})`);
  return JOB_BENCHMARKS.filter((b) => names.includes(b.name) || b.aliases.some((a) => names.includes(a)));
}
