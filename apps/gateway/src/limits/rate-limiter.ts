import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { GatewayConfig } from '../config';
import { GATEWAY_REDIS, RedisCircuit } from './redis.provider';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the per-minute window resets. */
  resetAt: number;
  /** Seconds to wait before retrying (when refused). */
  retryAfter: number;
}

/** One window (per minute, per second): counted in Redis, or in this process's memory while Redis is unusable. */
interface Window {
  redis: RateLimiterRedis;
  memory: RateLimiterMemory;
}

/**
 * Two fixed windows per caller, counted in Redis so every gateway replica sees the same numbers:
 * RATE_LIMIT_PER_MINUTE and RATE_LIMIT_BURST_PER_SECOND. When Redis is unusable (down, hung, not yet
 * connected) each replica counts in memory instead, decided at once: the RedisCircuit skips Redis
 * while the connection is not ready and for a pause after a failed command, so no request waits on
 * a dead Redis (a replica then allows each caller the limits on its own, not shared).
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly minute?: Window;
  private readonly burst?: Window;
  private inMemory = false;

  constructor(
    @Inject(GATEWAY_REDIS) redis: Redis,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    private readonly circuit: RedisCircuit,
  ) {
    const make = (name: string, points: number, duration: number) =>
      ({
        redis: new RateLimiterRedis({ storeClient: redis, keyPrefix: `${config.REDIS_KEY_PREFIX}rl:${name}`, points, duration }),
        memory: new RateLimiterMemory({ keyPrefix: `mem:${name}`, points, duration }),
      }) satisfies Window;
    if (config.RATE_LIMIT_PER_MINUTE > 0) this.minute = make('min', config.RATE_LIMIT_PER_MINUTE, 60);
    if (config.RATE_LIMIT_BURST_PER_SECOND > 0) this.burst = make('sec', config.RATE_LIMIT_BURST_PER_SECOND, 1);
  }

  get enabled(): boolean {
    return !!(this.minute || this.burst);
  }

  async consume(key: string): Promise<RateDecision> {
    const inRedis = await this.circuit.run(
      async () => {
        const settled = await Promise.all([settle(this.minute?.redis, key), settle(this.burst?.redis, key)]);
        this.countingIn('redis');
        return settled;
      },
      (err) => {
        this.countingIn('memory', err);
        return null;
      },
    );
    const [minute, burst] = inRedis ?? (await Promise.all([settle(this.minute?.memory, key), settle(this.burst?.memory, key)]));
    const main = minute ?? burst!;
    const mainLimit = minute ? this.config.RATE_LIMIT_PER_MINUTE : this.config.RATE_LIMIT_BURST_PER_SECOND;
    const refused = [minute, burst].filter((r): r is Settled => !!r && !r.ok);
    return {
      allowed: refused.length === 0,
      limit: mainLimit,
      remaining: Math.max(0, main.res.remainingPoints),
      resetAt: Math.ceil((Date.now() + main.res.msBeforeNext) / 1000),
      retryAfter: refused.length ? Math.max(1, Math.ceil(Math.max(...refused.map((r) => r.res.msBeforeNext)) / 1000)) : 0,
    };
  }

  /** Logs the switch between Redis and memory once each way, not per request. */
  private countingIn(where: 'redis' | 'memory', err?: Error): void {
    const inMemory = where === 'memory';
    if (inMemory === this.inMemory) return;
    this.inMemory = inMemory;
    if (inMemory) this.logger.warn(`rate limits counted in memory, per replica (redis: ${err?.message ?? 'not connected'})`);
    else this.logger.log('rate limits counted in redis again');
  }
}

interface Settled {
  ok: boolean;
  res: RateLimiterRes;
}

/** A refusal is an answer (ok: false); any other failure (Redis) rejects. */
async function settle(limiter: RateLimiterRedis | RateLimiterMemory | undefined, key: string): Promise<Settled | undefined> {
  if (!limiter) return undefined;
  try {
    return { ok: true, res: await limiter.consume(key) };
  } catch (err) {
    if (err instanceof RateLimiterRes) return { ok: false, res: err };
    throw err;
  }
}
