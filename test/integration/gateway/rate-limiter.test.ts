import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { GatewayConfig } from '../../../apps/gateway/src/config';
import { RateLimiter } from '../../../apps/gateway/src/limits/rate-limiter';
import { REDIS_BREAK_MS, RedisCircuit, gatewayRedisProvider } from '../../../apps/gateway/src/limits/redis.provider';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
const p99 = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.ceil(ms.length * 0.99) - 1];

/** The gateway's Redis client exactly as the gateway makes it (fail-fast options). */
const gatewayRedis = (url: string): Redis =>
  (gatewayRedisProvider as { useFactory: (c: GatewayConfig) => Redis }).useFactory({ REDIS_URL: url } as GatewayConfig);

/**
 * The rate limiter when Redis is down, hung or back: every decision is made at once (in memory while
 * Redis is unusable), never after waiting on Redis. A Redis server of this test's own, on a free port,
 * so it can be killed, stopped and restarted.
 */
describe('RateLimiter with Redis down (integration)', () => {
  let port: number;
  let server: ChildProcess | undefined;
  const config = { REDIS_KEY_PREFIX: `it-rl-${process.pid}:`, RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_BURST_PER_SECOND: 20 } as GatewayConfig;

  const startRedis = async () => {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      const up = await new Promise<boolean>((resolve) =>
        net
          .connect(port, '127.0.0.1', function (this: net.Socket) {
            this.destroy();
            resolve(true);
          })
          .on('error', () => resolve(false)),
      );
      if (up) return;
      await sleep(100);
    }
    throw new Error('redis-server did not start');
  };
  const killRedis = async () => {
    const s = server;
    server = undefined;
    if (!s || s.exitCode !== null) return;
    const gone = new Promise((r) => s.once('exit', r));
    s.kill('SIGKILL');
    await gone;
  };

  /** Times `n` decisions for distinct callers (each within its limits) and returns their latencies. */
  const decide = async (limiter: RateLimiter, n: number, tag: string) => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const d = await limiter.consume(`${tag}-${i % 10}`);
      ms.push(performance.now() - t0);
      expect(d.limit).toBe(config.RATE_LIMIT_PER_MINUTE);
    }
    return ms;
  };

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
  });

  afterAll(async () => {
    if (server?.signalCode === 'SIGSTOP' || server) server?.kill('SIGCONT');
    await killRedis();
  });

  it('counts in Redis (shared by replicas) while it is up', async () => {
    const redis = gatewayRedis(`redis://127.0.0.1:${port}`);
    try {
      await new Promise((r) => redis.once('ready', r));
      const a = new RateLimiter(redis, config, new RedisCircuit(redis));
      const b = new RateLimiter(redis, config, new RedisCircuit(redis));
      const answers = [];
      for (let i = 0; i < 21; i++) answers.push(await (i % 2 ? a : b).consume('shared-caller'));
      expect(answers.slice(0, 20).every((d) => d.allowed)).toBe(true);
      expect(answers[20].allowed).toBe(false); // 21 in one second across both replicas: Redis counted them together
      expect(answers[20].retryAfter).toBeGreaterThanOrEqual(1);
    } finally {
      redis.disconnect();
    }
  });

  it('a closed port: every decision at once, limits kept in memory', async () => {
    const closed = await freePort();
    const redis = gatewayRedis(`redis://127.0.0.1:${closed}`);
    try {
      const limiter = new RateLimiter(redis, config, new RedisCircuit(redis));
      const ms = await decide(limiter, 500, 'closed');
      expect(p99(ms)).toBeLessThan(100);
      const burst = [];
      for (let i = 0; i < 21; i++) burst.push((await limiter.consume('closed-burst')).allowed);
      expect(burst.filter((x) => !x)).toHaveLength(1); // still enforced, per replica
    } finally {
      redis.disconnect();
    }
  });

  it('Redis killed, then back: decisions stay fast throughout, and Redis counts again within 2 s of its return', async () => {
    const redis = gatewayRedis(`redis://127.0.0.1:${port}`);
    try {
      await new Promise((r) => redis.once('ready', r));
      const limiter = new RateLimiter(redis, config, new RedisCircuit(redis));
      await decide(limiter, 20, 'before');
      await killRedis();
      const during = await decide(limiter, 300, 'down');
      expect(p99(during)).toBeLessThan(100);
      expect(Math.max(...during)).toBeLessThan(500);
      await startRedis();
      const back = Date.now();
      while (redis.status !== 'ready' && Date.now() - back < 2000) await decide(limiter, 5, 'returning');
      // Decisions go to Redis again: its counters move. Polled, not slept: the client's reconnect and
      // the breaker's half-open try take their own time on a loaded machine.
      let keys: string[] = [];
      while (keys.length === 0 && Date.now() - back < 2000 + REDIS_BREAK_MS + 1000) {
        await limiter.consume('after-return');
        await sleep(50);
        keys = await redis.keys(`${config.REDIS_KEY_PREFIX}rl:*after-return`).catch(() => []);
      }
      expect(keys.length).toBeGreaterThan(0);
      expect(Date.now() - back).toBeLessThan(2000 + REDIS_BREAK_MS + 1000);
    } finally {
      redis.disconnect();
    }
  });

  it('Redis hung (SIGSTOP): one decision waits for the command timeout, the rest go to memory at once', async () => {
    const redis = gatewayRedis(`redis://127.0.0.1:${port}`);
    try {
      await new Promise((r) => redis.once('ready', r));
      const limiter = new RateLimiter(redis, config, new RedisCircuit(redis));
      server!.kill('SIGSTOP');
      const ms = await decide(limiter, 400, 'hung');
      server!.kill('SIGCONT');
      expect(p99(ms)).toBeLessThan(100);
      expect(Math.max(...ms)).toBeLessThan(1000); // the probes: bounded by the command timeout
    } finally {
      server?.kill('SIGCONT');
      redis.disconnect();
    }
  });
});
