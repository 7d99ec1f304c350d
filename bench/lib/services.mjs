// Starting and stopping what a benchmark measures, one way for every bench: Postgres through
// scripts/lib/stack.mjs (the shared server is reused, never stopped; each bench has its own database),
// a private nats-server and a private redis-server per run (nobody else's consumers on its queues, and
// their CPU is the run's alone), the apps from dist/ on free ports (startApp), and everything started
// here is stopped by stop() — called in `finally` and on SIGINT/SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  APPS,
  LOGS_DIR,
  appEntry,
  ensureDatabase,
  ensureInfra,
  migrate,
  portOpen,
  setLogger,
  stackEnv,
  startApp,
  stopApp,
  waitHttp,
} from '../../scripts/lib/stack.mjs';
import { log, sleep } from './report.mjs';

/** Logs of every bench run: `.stack/logs/bench/<bench>-<label>.log`; CPU profiles in `prof/`. */
export const BENCH_LOGS = path.join(LOGS_DIR, 'bench');
const PROF_DIR = path.join(BENCH_LOGS, 'prof');

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set();
let signalsHooked = false;
function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      log(`${sig}: stopping what this run started`);
      void Promise.allSettled([...running].map((s) => s.stop())).finally(() => process.exit(130));
    });
  }
}

/**
 * The processes of one benchmark run. `prefix` names its log files. With BENCH_CPU_PROF=1 the apps
 * write .cpuprofile files to .stack/logs/bench/prof; with BENCH_TRACE_GC=1 their GC trace goes to
 * their logs (both are node flags, which NODE_OPTIONS refuses, so such apps are spawned here).
 */
export class Services {
  apps = [];
  children = new Set();
  closers = [];
  finalizers = [];
  stopped = false;

  constructor(prefix) {
    this.prefix = prefix;
    fs.mkdirSync(BENCH_LOGS, { recursive: true });
    setLogger((m) => log(`stack: ${m}`));
    running.add(this);
    hookSignals();
  }

  logFile(label) {
    return path.join(BENCH_LOGS, `${this.prefix}-${label}.log`);
  }

  /** The shared Postgres (started by the stack if nothing answers; reused otherwise). */
  async postgres() {
    await ensureInfra({ env: process.env, only: ['postgres'] });
  }

  /** Creates the database of `url` when missing and applies the migrations of `apps` to it. */
  async database(url, apps = []) {
    await ensureDatabase(url);
    if (apps.length) await migrate({ env: { ...process.env, DATABASE_URL: url }, apps });
  }

  /** A private nats-server (JetStream, max_payload 8MB) on a free port, stopped with the run. */
  async nats() {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.prefix}-bench-nats-`));
    const conf = path.join(dir, 'nats.conf');
    fs.writeFileSync(conf, `host: 127.0.0.1\nport: ${port}\nmax_payload: 8MB\njetstream {\n  store_dir: "${dir}/js"\n}\n`);
    const logFile = this.logFile('nats');
    const child = spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'ignore', fs.openSync(logFile, 'w')] });
    this.finalizers.push(async () => {
      await this.#terminate(child);
      fs.rmSync(dir, { recursive: true, force: true });
    });
    for (let i = 0; !(await portOpen(port)); i++) {
      if (i > 100 || child.exitCode !== null) throw new Error(`nats-server did not start (see ${logFile})`);
      await sleep(100);
    }
    const url = `nats://127.0.0.1:${port}`;
    log(`nats-server on ${url} (pid ${child.pid})`);
    return { url, pid: child.pid };
  }

  /**
   * Redis for the run: BENCH_REDIS_URL when set (e.g. a shared server's db; `redis://…/<db>` is
   * flushed by the benches that say so), else a private redis-server on a free port, without
   * persistence, stopped with the run. Resolves { url, pid } (pid null for BENCH_REDIS_URL).
   */
  async redis() {
    if (process.env.BENCH_REDIS_URL) {
      await ensureInfra({ env: { ...process.env, REDIS_URL: process.env.BENCH_REDIS_URL }, only: ['redis'] });
      return { url: process.env.BENCH_REDIS_URL, pid: null };
    }
    const port = await freePort();
    const logFile = this.logFile('redis');
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: ['ignore', fs.openSync(logFile, 'w'), fs.openSync(logFile, 'a')],
    });
    this.finalizers.push(() => this.#terminate(child));
    for (let i = 0; !(await portOpen(port)); i++) {
      if (i > 100 || child.exitCode !== null) throw new Error(`redis-server did not start (see ${logFile})`);
      await sleep(100);
    }
    const url = `redis://127.0.0.1:${port}`;
    log(`redis-server on ${url} (pid ${child.pid})`);
    return { url, pid: child.pid };
  }

  async #terminate(child) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
  }

  /**
   * Starts an app from dist/ on a free port (not waiting for it: see ready()). `env` is the app's
   * whole environment; NODE_OPTIONS is dropped so the caller's node flags do not reach the apps.
   */
  async app(name, env, { label = name } = {}) {
    if (!fs.existsSync(appEntry(name))) throw new Error(`${name} is not built: run npm run build`);
    const port = await freePort();
    const logFile = this.logFile(label);
    const appEnv = { ...env };
    delete appEnv.NODE_OPTIONS;
    // Several gateways run at once: each gets a free admin (metrics) port.
    if (name === 'gateway' && !appEnv.ADMIN_PORT) appEnv.ADMIN_PORT = '0';
    const flags = [
      ...(process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`, `--cpu-prof-name=${label}-${port}.cpuprofile`] : []),
      ...(process.env.BENCH_TRACE_GC === '1' ? ['--trace-gc'] : []),
    ];
    let pid;
    if (flags.length === 0) {
      pid = startApp(name, appEnv, { port, logFile });
    } else {
      // startApp's process, with node flags: detached in its own group, log truncated.
      fs.mkdirSync(PROF_DIR, { recursive: true });
      const out = fs.openSync(logFile, 'w');
      const child = spawn(process.execPath, [...flags, appEntry(name)], {
        env: { ...stackEnv(appEnv), [APPS[name].portEnv]: String(port) },
        stdio: ['ignore', out, out],
        detached: true,
      });
      child.unref();
      pid = child.pid;
    }
    const app = { name, label, pid, port, url: `http://127.0.0.1:${port}`, logFile };
    this.apps.push(app);
    return app;
  }

  /** Waits until every app answers 200 on `path` (fails early when one exits). */
  async ready(apps, path = '/health', timeoutMs = 90_000) {
    await Promise.all(apps.map((a) => waitHttp(`${a.url}${path}`, timeoutMs, { pid: a.pid })));
  }

  async stopApp(app) {
    await stopApp(app.pid, { timeoutMs: 15_000 });
    this.apps = this.apps.filter((a) => a !== app);
  }

  /** A forked helper process, killed at stop(). */
  track(child) {
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs at stop(), latest first, before the apps are stopped (close clients, release held requests). */
  onStop(fn) {
    this.closers.push(fn);
  }

  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    running.delete(this);
    for (const close of this.closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    for (const child of this.children) child.kill('SIGKILL');
    await Promise.all(this.apps.map((a) => stopApp(a.pid, { timeoutMs: 15_000 }).catch(() => undefined)));
    for (const finish of this.finalizers) await finish().catch(() => undefined);
    if (process.env.BENCH_CPU_PROF === '1') log(`cpu profiles: ${path.relative(process.cwd(), PROF_DIR)}`);
  }
}
