import path from 'node:path';
import { LOGS_DIR, isAlive, startApp, stopApp, tail, waitHttp } from '../../scripts/lib/stack.mjs';

export type AppName = 'gateway' | 'job-runner' | 'agent-coordinator' | 'knowledge-ingestor';

const PORT_ENV: Record<AppName, string> = {
  gateway: 'PORT',
  'job-runner': 'JOB_RUNNER_PORT',
  'agent-coordinator': 'COORDINATOR_PORT',
  'knowledge-ingestor': 'INGESTOR_PORT',
};

/**
 * Where the test servers are. `npm test` (scripts/test.mjs) exports TEST_* variables pointing at an
 * isolated database, Redis db and NATS server, so a developer's running stack never shares work with a test.
 */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
  return {
    ...base,
    DATABASE_URL: process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://platform:platform@127.0.0.1:5432/platform_test',
    NATS_URL: process.env.TEST_NATS_URL ?? process.env.NATS_URL ?? 'nats://127.0.0.1:14222',
    REDIS_URL: process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/1',
    LOG_LEVEL: 'warn',
    KNOWLEDGE_ENABLED: 'true',
    ...extra,
  };
}

/** A real service process started from the built dist, as in production. */
export class AppProcess {
  constructor(
    readonly name: AppName,
    readonly port: number,
    readonly pid: number,
    readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return isAlive(this.pid);
  }

  /** SIGTERM, then SIGKILL after the timeout. */
  stop(timeoutMs = 10_000): Promise<boolean> {
    return stopApp(this.pid, { timeoutMs });
  }

  /** A crash: no shutdown hooks run. */
  kill(): void {
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  log(lines = 60): string {
    return tail(this.logFile, lines);
  }
}

export async function startService(name: AppName, port: number, env: Record<string, string> = testEnv(), waitMs = 60_000): Promise<AppProcess> {
  const logFile = path.join(LOGS_DIR, 'test', `${name}-${port}.log`);
  const pid = startApp(name, { ...env, [PORT_ENV[name]]: String(port) }, { port, logFile });
  const app = new AppProcess(name, port, pid, logFile);
  try {
    await waitHttp(`${app.url}/health`, waitMs, { pid });
  } catch (err) {
    const log = app.log();
    await app.stop(2000); // never leave a half-started process behind to take the next suite's jobs
    throw new Error(`${name} on ${port} did not start: ${(err as Error).message}\n${log}`);
  }
  return app;
}

/** The whole suite on ports basePort (gateway), +1 job-runner, +2 coordinator, +3 ingestor. */
export class Suite {
  constructor(
    readonly apps: Map<AppName, AppProcess>,
    readonly env: Record<string, string>,
  ) {}

  get gatewayUrl(): string {
    return this.apps.get('gateway')!.url;
  }

  app(name: AppName): AppProcess {
    const a = this.apps.get(name);
    if (!a) throw new Error(`${name} not started`);
    return a;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.apps.values()].map((a) => a.stop(5000)));
  }
}

export async function startSuite(opts: { basePort: number; apps?: AppName[]; env?: Record<string, string>; waitReady?: boolean }): Promise<Suite> {
  const env = testEnv(opts.env);
  const names = opts.apps ?? (['job-runner', 'agent-coordinator', 'knowledge-ingestor', 'gateway'] as AppName[]);
  const offsets: Record<AppName, number> = { gateway: 0, 'job-runner': 1, 'agent-coordinator': 2, 'knowledge-ingestor': 3 };
  const results = await Promise.allSettled(names.map((n) => startService(n, opts.basePort + offsets[n], env)));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const suite = new Suite(new Map(started.map((a) => [a.name, a])), env);
  try {
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (opts.waitReady !== false && names.length === 4) await waitHttp(`${suite.gatewayUrl}/health/ready`, 60_000);
  } catch (err) {
    await suite.stop(); // never leave started services behind to take the next suite's jobs
    throw err;
  }
  return suite;
}
