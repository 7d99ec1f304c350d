// CPU time of the processes a figure costs, from /proc/<pid>/stat (utime + stime, all threads),
// sampled every 250 ms during a phase so that processes which start or end inside it (Postgres
// backends) are counted too. Postgres is the postmaster plus all its children: backends of this run's
// database and the server's own processes (checkpointer, WAL writer, autovacuum…); backends of other
// databases on the shared server are reported apart, not in the total.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { log } from './report.mjs';

let hz = 100;
try {
  hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* the usual 100 */
}

/** CPU seconds (user + system) a process has used so far; null when it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / hz;
  } catch {
    return null;
  }
}

function childrenOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // No CONFIG_PROC_CHILDREN: scan /proc for the parent pid.
    const out = [];
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
      } catch {
        /* gone */
      }
    }
    return out;
  }
}

/** The database of a Postgres backend ("postgres: user db host(port) state"); null for the server's own processes. */
function backendDatabase(pid) {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return /^postgres: \S+ (\S+) \S+\(\d+\)/.exec(cmd)?.[1] ?? /^postgres: \S+ (\S+) \[local\]/.exec(cmd)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The postmaster's pid: the parent of this connection's backend. `query` runs SQL on the bench's database. */
export async function postmasterPid(query) {
  const rows = await query('SELECT pg_backend_pid() AS pid');
  const status = fs.readFileSync(`/proc/${rows[0].pid}/status`, 'utf8');
  return Number(/PPid:\s+(\d+)/.exec(status)[1]);
}

/** The Redis server's pid, from INFO (an ioredis client). */
export async function redisPid(redis) {
  return Number(/process_id:(\d+)/.exec(await redis.info('server'))[1]);
}

/** Several metered phases as one (summed CPU and wall time). */
export function sumCpu(phases) {
  const out = { wall_s: 0, seconds: {}, total_s: 0, excluded: {} };
  for (const p of phases) {
    out.wall_s += p.wall_s;
    out.total_s += p.total_s;
    for (const [k, v] of Object.entries(p.seconds)) out.seconds[k] = (out.seconds[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.excluded)) out.excluded[k] = (out.excluded[k] ?? 0) + v;
  }
  return out;
}

/**
 * Meters the CPU of named processes over phases.
 *   const meter = new CpuMeter({ gateway: () => gw.pid, 'job-runner': () => [jr.pid, worker?.pid] },
 *                              { postgres: { pid, database: 'platform_bench' } });
 *   const phase = meter.start(); …; const cpu = phase.stop();   // { wall_s, seconds: {name: s}, … }
 *   meter.print('submit', cpu, 1234, 'job');
 * `pids` functions are read at every sample (a process may be restarted between phases).
 */
export class CpuMeter {
  /** `outside`: processes metered too but reported apart, not in the total (load generators). */
  constructor(processes, { postgres, outside = {} } = {}) {
    this.processes = processes;
    this.postgres = postgres;
    this.outside = outside;
  }

  /** The same processes plus `outside` ones. */
  with(outside) {
    return new CpuMeter(this.processes, { postgres: this.postgres, outside: { ...this.outside, ...outside } });
  }

  start(intervalMs = 250) {
    const seen = new Map(); // pid → { name, first, last }
    const t0 = performance.now();
    const client0 = process.cpuUsage();
    let first = true;
    const note = (pid, name) => {
      const s = cpuSeconds(pid);
      if (s === null) return;
      const p = seen.get(pid);
      if (p) p.last = s;
      // Present at the start: counted from here. Started during the phase: counted whole.
      else seen.set(pid, { name, first: first ? s : 0, last: s });
    };
    const sample = () => {
      for (const [name, pids] of [...Object.entries(this.processes), ...Object.entries(this.outside)])
        for (const pid of [pids()].flat()) if (pid) note(pid, name);
      if (this.postgres) {
        note(this.postgres.pid, 'postgres');
        for (const child of childrenOf(this.postgres.pid)) {
          if (seen.has(child)) note(child, seen.get(child).name);
          else {
            const db = backendDatabase(child);
            note(child, db === null || db === this.postgres.database ? 'postgres' : 'postgres: other databases');
          }
        }
      }
      first = false;
    };
    sample();
    const timer = setInterval(sample, intervalMs);
    return {
      stop: () => {
        clearInterval(timer);
        sample();
        const seconds = {};
        for (const name of [...Object.keys(this.processes), ...(this.postgres ? ['postgres'] : [])]) seconds[name] = 0;
        const c = process.cpuUsage(client0);
        const excluded = { 'bench process': (c.user + c.system) / 1e6, 'postgres: other databases': 0 };
        for (const name of Object.keys(this.outside)) excluded[name] = 0;
        for (const p of seen.values()) {
          if (p.name in seconds) seconds[p.name] += p.last - p.first;
          else excluded[p.name] += p.last - p.first;
        }
        return { wall_s: (performance.now() - t0) / 1000, seconds, total_s: Object.values(seconds).reduce((a, b) => a + b, 0), excluded };
      },
    };
  }

  /**
   * Logs CPU per unit (µs per job, event…) for each process and the total; returns the same as a
   * figure: { units, wall_s, us_per_<unit>: {process: µs, total}, percent_of_a_core, excluded_us_per_<unit> }.
   */
  print(label, cpu, units, unit = 'job') {
    const per = (s) => (units > 0 ? Math.round((s * 1e6) / units) : null);
    const pct = (s) => Math.round((s / cpu.wall_s) * 100);
    const lines = Object.entries(cpu.seconds).map(
      ([name, s]) => `    ${name.padEnd(20)} ${String(per(s)).padStart(7)} µs/${unit}   ${String(pct(s)).padStart(3)} % of a core`,
    );
    lines.push(`    ${'total'.padEnd(20)} ${String(per(cpu.total_s)).padStart(7)} µs/${unit}   ${String(pct(cpu.total_s)).padStart(3)} % of a core`);
    const excluded = Object.entries(cpu.excluded).map(([name, s]) => `${name} ${per(s)} µs/${unit} (${pct(s)} %)`);
    log(`cpu per ${unit}, ${label} (n = ${units} in ${cpu.wall_s.toFixed(1)} s):\n${lines.join('\n')}\n    not in the total: ${excluded.join(', ')}`);
    return {
      units,
      wall_s: +cpu.wall_s.toFixed(2),
      [`us_per_${unit}`]: { ...Object.fromEntries(Object.entries(cpu.seconds).map(([n, s]) => [n, per(s)])), total: per(cpu.total_s) },
      percent_of_a_core: { ...Object.fromEntries(Object.entries(cpu.seconds).map(([n, s]) => [n, pct(s)])), total: pct(cpu.total_s) },
      [`excluded_us_per_${unit}`]: Object.fromEntries(Object.entries(cpu.excluded).map(([n, s]) => [n, per(s)])),
    };
  }
}
