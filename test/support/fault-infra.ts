import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { appEntry, migrate, portOpen, ROOT, serverBinaries, STACK_DIR, tail } from '../../scripts/lib/stack.mjs';

/**
 * Servers and app processes the fault suite owns and may kill: its own Postgres (initdb into a temp
 * directory), Redis and NATS (JetStream) on ports of their own, never the shared 5432 / 6379 / 14222
 * that other test runs use. Everything listens on loopback; everything is torn down at the end, and
 * a run killed half-way is cleaned up by the next one (pids recorded in <STACK_DIR>/faults/pids.json).
 */

export const FAULTS_DIR = path.join(STACK_DIR, 'faults');
const PIDS_FILE = path.join(FAULTS_DIR, 'pids.json');
const CRASH_MONITOR = path.join(ROOT, 'test', 'support', 'crash-monitor.mjs');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** A sleep that does not keep the process alive: for the losing side of a Promise.race. */
export const raceTimeout = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export interface ExitRecord {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
  /** We caused it (kill -9, SIGTERM, stop); any other exit is a failure of the product. */
  expected: boolean;
}

interface SpawnSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
}

/** Every process the suite started and has not seen exit: killed on the way out whatever happens. */
const live = new Set<Proc>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      p.signal('SIGCONT');
      p.signal('SIGKILL');
    }
  });
}

function recordPids(): void {
  fs.mkdirSync(FAULTS_DIR, { recursive: true });
  const entries = [...live].filter((p) => p.pid).map((p) => ({ pid: p.pid, name: p.name, cmd: p.commandLine }));
  fs.writeFileSync(PIDS_FILE, `${JSON.stringify(entries, null, 2)}\n`);
}

/** Kills what an earlier, interrupted run of the suite left behind (only pids whose command line is still ours). */
export function reapLeftovers(): string[] {
  let entries: { pid: number; name: string; cmd: string }[] = [];
  try {
    entries = JSON.parse(fs.readFileSync(PIDS_FILE, 'utf8')) as typeof entries;
  } catch {
    return [];
  }
  const reaped: string[] = [];
  for (const e of entries) {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${e.pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    if (cmd && cmd === e.cmd) {
      try {
        process.kill(e.pid, 'SIGCONT');
        process.kill(e.pid, 'SIGKILL');
        reaped.push(`${e.name} (pid ${e.pid})`);
      } catch {
        /* gone */
      }
    }
  }
  fs.rmSync(PIDS_FILE, { force: true });
  return reaped;
}

/** A child process the suite may kill -9, SIGTERM, pause (SIGSTOP) and start again; it remembers every exit and whether we caused it. */
export class Proc {
  child?: ChildProcess;
  readonly exits: ExitRecord[] = [];
  commandLine = '';
  private expecting = false;
  private exitWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly spec: () => SpawnSpec,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  spawn(): void {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    installExitHook();
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    const s = this.spec();
    const fd = fs.openSync(this.logFile, 'a');
    fs.writeSync(fd, `\n=== ${new Date().toISOString()} start ${s.command} ${s.args.join(' ')}\n`);
    let child: ChildProcess;
    try {
      child = spawn(s.command, s.args, { env: s.env ?? process.env, cwd: s.cwd ?? ROOT, uid: s.uid, gid: s.gid, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      fs.closeSync(fd);
    }
    this.child = child;
    this.expecting = false;
    this.commandLine = [s.command, ...s.args].join(' ');
    live.add(this);
    recordPids();
    const pid = child.pid ?? -1;
    child.on('exit', (code, signal) => {
      this.exits.push({ pid, code, signal, at: Date.now(), expected: this.expecting });
      live.delete(this);
      try {
        fs.appendFileSync(
          this.logFile,
          `\n=== ${new Date().toISOString()} pid ${pid} exited code=${code} signal=${signal}${this.expecting ? ' (caused by the suite)' : ''}\n`,
        );
      } catch {
        /* log dir gone */
      }
      this.exitWaiters.splice(0).forEach((w) => w());
    });
    child.on('error', (err) => {
      this.exits.push({ pid, code: null, signal: null, at: Date.now(), expected: false });
      fs.appendFileSync(this.logFile, `\n=== spawn error: ${err.message}\n`);
      live.delete(this);
      this.exitWaiters.splice(0).forEach((w) => w());
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.running || !this.pid) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** Resolves true once the process has exited, false after timeoutMs. */
  waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** A crash: SIGKILL, no shutdown hooks. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.expecting = true;
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    await this.waitExit(10_000);
  }

  /**
   * A graceful stop: `sig` (SIGTERM by default), up to timeoutMs to exit, then SIGKILL. Returns how it
   * went, so a scenario can assert that a graceful stop was graceful.
   */
  async terminate(
    timeoutMs: number,
    sig: NodeJS.Signals = 'SIGTERM',
  ): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null; forced: boolean }> {
    const t0 = Date.now();
    if (!this.running) return { ms: 0, code: this.child?.exitCode ?? null, signal: this.child?.signalCode ?? null, forced: false };
    this.expecting = true;
    this.signal('SIGCONT');
    this.signal(sig);
    let forced = false;
    if (!(await this.waitExit(timeoutMs))) {
      forced = true;
      this.signal('SIGKILL');
      await this.waitExit(10_000);
    }
    const last = this.exits[this.exits.length - 1];
    return { ms: Date.now() - t0, code: last?.code ?? null, signal: last?.signal ?? null, forced };
  }

  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  unexpectedExits(): ExitRecord[] {
    return this.exits.filter((e) => !e.expected);
  }

  logTail(lines = 40): string {
    return tail(this.logFile, lines);
  }
}

// ───────────────────────────── servers ─────────────────────────────

export type ServerName = 'postgres' | 'redis' | 'nats';

export interface InfraPorts {
  postgres: number;
  redis: number;
  nats: number;
}

/** The first port at or after `preferred` that nothing listens on (another helper's server may hold the preferred one). */
export async function freePort(preferred: number, taken: Set<number> = new Set()): Promise<number> {
  for (let p = preferred; p < preferred + 200; p++) {
    if (taken.has(p)) continue;
    if (!(await portOpen(p, '127.0.0.1', 300))) {
      taken.add(p);
      return p;
    }
  }
  throw new Error(`no free port in ${preferred}..${preferred + 199}`);
}

function postgresUser(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const u = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (u.status !== 0 || g.status !== 0) throw new Error('running as root but there is no postgres user to run Postgres as');
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Send one line to a TCP server and resolve the first line it answers (null on error/timeout). */
function tcpLine(port: number, payload: string | null, timeoutMs = 1500): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let data = '';
    const done = (v: string | null) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('connect', () => payload && socket.write(payload));
    socket.on('data', (d) => {
      data += d.toString('utf8');
      if (data.includes('\n')) done(data.split('\n')[0].trim());
    });
    socket.once('error', () => done(null));
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (proc && !proc.running) throw new Error(`${what}: process exited before it was ready\n${proc.logTail(30)}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms${proc ? `\n${proc.logTail(30)}` : ''}`);
    await sleep(100);
  }
}

/**
 * The suite's own Postgres, Redis and NATS. `create()` finds the binaries the way scripts/lib/stack.mjs
 * does, picks free ports (25432, 26379, 27222 by default), initdb's a throw-away cluster, starts all
 * three, creates the database and applies the job-runner migrations to it.
 */
export class FaultInfra {
  readonly servers: Record<ServerName, Proc>;
  private pgAdmin?: pg.Pool;

  private constructor(
    readonly dir: string,
    readonly ports: InfraPorts,
    private readonly bins: { postgres: string; nats: string; redis: string },
    private readonly pgUser: { uid: number; gid: number } | null,
  ) {
    const logs = path.join(FAULTS_DIR, 'logs', 'servers');
    const pgData = path.join(dir, 'pgdata');
    this.servers = {
      postgres: new Proc('postgres', path.join(logs, 'postgres.log'), () => ({
        command: path.join(bins.postgres, 'postgres'),
        args: [
          '-D',
          pgData,
          '-p',
          String(ports.postgres),
          '-k',
          dir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'max_connections=300',
          '-c',
          'fsync=off',
          '-c',
          'full_page_writes=off',
        ],
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
        ...(pgUser ?? {}),
      })),
      redis: new Proc('redis', path.join(logs, 'redis.log'), () => ({
        command: bins.redis,
        // No persistence: a killed Redis comes back empty, as one without AOF does (queue entries are lost).
        args: [
          '--port',
          String(ports.redis),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--daemonize',
          'no',
          '--protected-mode',
          'yes',
        ],
        cwd: dir,
      })),
      nats: new Proc('nats', path.join(logs, 'nats.log'), () => ({ command: bins.nats, args: ['-c', path.join(dir, 'nats.conf')], cwd: dir })),
    };
  }

  get databaseUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.ports.postgres}/faults`;
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.ports.redis}`;
  }

  get natsUrl(): string {
    return `nats://127.0.0.1:${this.ports.nats}`;
  }

  static async create(log: (m: string) => void = () => undefined): Promise<FaultInfra> {
    const reaped = reapLeftovers();
    if (reaped.length) log(`killed leftovers of an interrupted run: ${reaped.join(', ')}`);
    const found = serverBinaries();
    const missing = (['postgres', 'nats', 'redis'] as const).filter((k) => !found[k]);
    if (missing.length) throw new Error(`fault suite: missing server binaries for ${missing.join(', ')} (run npm run infra:up once as root to install them)`);
    const bins = found as { postgres: string; nats: string; redis: string };
    const taken = new Set<number>();
    const ports = {
      postgres: await freePort(Number(process.env.FAULTS_PG_PORT) || 25432, taken),
      redis: await freePort(Number(process.env.FAULTS_REDIS_PORT) || 26379, taken),
      nats: await freePort(Number(process.env.FAULTS_NATS_PORT) || 27222, taken),
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-'));
    const pgUser = postgresUser();
    if (pgUser) fs.chownSync(dir, pgUser.uid, pgUser.gid);
    const infra = new FaultInfra(dir, ports, bins, pgUser);
    try {
      await infra.init(log);
    } catch (err) {
      await infra.teardown();
      throw err;
    }
    return infra;
  }

  private async init(log: (m: string) => void): Promise<void> {
    const t0 = Date.now();
    const pgData = path.join(this.dir, 'pgdata');
    const initdb = spawnSync(
      path.join(this.bins.postgres, 'initdb'),
      ['-D', pgData, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--auth=trust', '--no-sync'],
      {
        cwd: this.dir,
        encoding: 'utf8',
        timeout: 120_000,
        uid: this.pgUser?.uid,
        gid: this.pgUser?.gid,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
      },
    );
    if (initdb.status !== 0) throw new Error(`initdb failed (exit ${initdb.status}): ${initdb.stdout}${initdb.stderr}${initdb.error?.message ?? ''}`);
    fs.writeFileSync(
      path.join(this.dir, 'nats.conf'),
      [
        `host: "127.0.0.1"`,
        `port: ${this.ports.nats}`,
        'max_payload: 8MB',
        'jetstream {',
        `  store_dir: ${JSON.stringify(path.join(this.dir, 'nats'))}`,
        '}',
        '',
      ].join('\n'),
    );
    await Promise.all((['postgres', 'redis', 'nats'] as const).map((s) => this.start(s)));
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${this.ports.postgres}/postgres` });
    await admin.connect();
    try {
      await admin.query('CREATE DATABASE faults');
    } finally {
      await admin.end();
    }
    await migrate({ env: { ...process.env, DATABASE_URL: this.databaseUrl, NATS_URL: this.natsUrl, REDIS_URL: this.redisUrl }, apps: ['job-runner'] });
    log(
      `own servers up in ${((Date.now() - t0) / 1000).toFixed(1)} s: postgres ${this.ports.postgres}, redis ${this.ports.redis}, nats ${this.ports.nats} (${this.dir})`,
    );
  }

  /** Starts a server (again) and waits until it really serves: a Postgres login, a Redis PONG, the NATS INFO line. */
  async start(name: ServerName, timeoutMs = 30_000): Promise<void> {
    const p = this.servers[name];
    if (p.running) return;
    if (name === 'postgres') {
      // After a kill -9 the old backends may still hold the shared memory for a moment: retry the start.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        fs.rmSync(path.join(this.dir, 'pgdata', 'postmaster.pid'), { force: true });
        p.spawn();
        try {
          await waitUntil('postgres', () => this.pgReady(), Math.max(1000, deadline - Date.now()), p);
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(500);
        }
      }
    }
    p.spawn();
    if (name === 'redis') await waitUntil('redis', async () => (await tcpLine(this.ports.redis, 'PING\r\n')) === '+PONG', timeoutMs, p);
    else await waitUntil('nats', async () => (await tcpLine(this.ports.nats, null))?.startsWith('INFO') ?? false, timeoutMs, p);
  }

  private async pgReady(): Promise<boolean> {
    const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${this.ports.postgres}/postgres`, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /** kill -9 a server. */
  kill9(name: ServerName): Promise<void> {
    return this.servers[name].kill9();
  }

  /**
   * Stops a server the way an operator does: Postgres fast shutdown (SIGINT: sessions are terminated
   * with 57P01, as `pg_ctl stop` / `systemctl stop` do), SIGTERM for the others.
   */
  async stop(name: ServerName): Promise<void> {
    await this.servers[name].terminate(30_000, name === 'postgres' ? 'SIGINT' : 'SIGTERM');
  }

  /** Starts whatever is not running (a scenario that failed half-way may leave a server down). */
  async ensureUp(): Promise<void> {
    for (const name of ['postgres', 'redis', 'nats'] as const) {
      this.servers[name].resume();
      if (!this.servers[name].running) await this.start(name);
    }
  }

  /** A short-lived pool for the checker (recreated after Postgres restarts). */
  async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (!this.pgAdmin) {
      this.pgAdmin = new pg.Pool({ connectionString: this.databaseUrl, max: 2, connectionTimeoutMillis: 2000 });
      // An idle client whose server went away (a scenario stops Postgres) must not become an unhandled 'error' event.
      this.pgAdmin.on('error', () => undefined);
    }
    try {
      return (await this.pgAdmin.query(sql, params)).rows as T[];
    } catch (err) {
      const pool = this.pgAdmin;
      this.pgAdmin = undefined;
      await pool?.end().catch(() => undefined);
      throw err;
    }
  }

  /** A clean slate between scenarios: no jobs, an empty Redis (queues, stream slots, rate-limit counters). */
  async resetState(): Promise<void> {
    await this.ensureUp();
    await this.query('TRUNCATE job_runner.jobs CASCADE');
    const reply = await tcpLine(this.ports.redis, 'FLUSHALL\r\n', 5000);
    if (reply !== '+OK') throw new Error(`redis FLUSHALL answered ${reply}`);
  }

  async teardown(): Promise<void> {
    await this.pgAdmin?.end().catch(() => undefined);
    this.pgAdmin = undefined;
    await Promise.all(
      (['nats', 'redis', 'postgres'] as const).map(async (n) => {
        const p = this.servers[n];
        if (p.running) await p.terminate(10_000, n === 'postgres' ? 'SIGQUIT' : 'SIGTERM');
      }),
    );
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ───────────────────────────── apps ─────────────────────────────

export type FaultAppName = 'gateway' | 'job-runner';
const PORT_ENV: Record<FaultAppName, string> = { gateway: 'PORT', 'job-runner': 'JOB_RUNNER_PORT' };

/** A built app started as a real process (`node dist/…/main.js`), as in production, with the crash monitor preloaded. */
export class App extends Proc {
  constructor(
    readonly app: FaultAppName,
    readonly port: number,
    logFile: string,
    readonly env: Record<string, string>,
  ) {
    super(`${app}:${port}`, logFile, () => ({
      command: process.execPath,
      args: [appEntry(app)],
      env: {
        ...env,
        [PORT_ENV[app]]: String(port),
        // Several gateways run at once: each gets a free admin (metrics) port.
        ...(app === 'gateway' && !env.ADMIN_PORT ? { ADMIN_PORT: '0' } : {}),
        NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(CRASH_MONITOR).href}`.trim(),
      },
    }));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts (again) and waits for /health. */
  async start(timeoutMs = 45_000): Promise<this> {
    this.spawn();
    await waitUntil(
      `${this.name} /health`,
      async () => {
        try {
          const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
          await res.text();
          return res.status === 200;
        } catch {
          return false;
        }
      },
      timeoutMs,
      this,
    );
    return this;
  }
}

/** Lines of app logs that prove a crash or an unhandled rejection (with a little context). */
export function crashEvidence(logFile: string, maxLines = 12): string[] {
  let text: string;
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length && out.length < maxLines; i++) {
    if (/FAULTS-CRASH|unhandledRejection|Unhandled|uncaughtException/i.test(lines[i])) {
      out.push(...lines.slice(i, i + 6).map((l) => l.slice(0, 400)));
      i += 5;
    }
  }
  return out.slice(0, maxLines);
}

/** The apps of one scenario: started against the suite's servers, each with its log under <STACK_DIR>/faults/logs/<scenario>/. */
export class AppSet {
  readonly apps: App[] = [];

  constructor(
    readonly logDir: string,
    readonly baseEnv: Record<string, string>,
  ) {
    fs.rmSync(logDir, { recursive: true, force: true });
    fs.mkdirSync(logDir, { recursive: true });
  }

  async start(app: FaultAppName, port: number, extra: Record<string, string> = {}): Promise<App> {
    const a = new App(app, port, path.join(this.logDir, `${app}-${port}.log`), { ...this.baseEnv, ...extra });
    this.apps.push(a);
    return a.start();
  }

  /** Exits the suite did not cause, with the evidence from each log. */
  unexpectedExits(): { app: string; exit: ExitRecord; evidence: string[] }[] {
    return this.apps.flatMap((a) => a.unexpectedExits().map((exit) => ({ app: a.name, exit, evidence: crashEvidence(a.logFile) })));
  }

  /** Crash or unhandled-rejection lines in any app log (even when the process survived). */
  crashLines(): { app: string; lines: string[] }[] {
    return this.apps.map((a) => ({ app: a.name, lines: crashEvidence(a.logFile) })).filter((x) => x.lines.length > 0);
  }

  async stopAll(timeoutMs = 8000): Promise<void> {
    await Promise.all(this.apps.map((a) => a.terminate(timeoutMs)));
  }
}
