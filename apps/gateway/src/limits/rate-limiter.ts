import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { GatewayConfig } from '../config';
import { GATEWAY_REDIS } from './redis.provider';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the per-minute window resets. */
  resetAt: number;
  /** Seconds to wait before retrying (when refused). */
  retryAfter: number;
}

/**
 * Two fixed windows per caller, counted in Redis so every gateway replica sees the same numbers:
 * RATE_LIMIT_PER_MINUTE and RATE_LIMIT_BURST_PER_SECOND. If Redis is unreachable each replica falls
 * back to counting in memory (an insurance limiter) rather than dropping all limits or all traffic.
 */
@Injectable()
export class RateLimiter {
  private readonly minute?: RateLimiterRedis;
  private readonly burst?: RateLimiterRedis;

  constructor(
    @Inject(GATEWAY_REDIS) redis: Redis,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {
    const make = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.REDIS_KEY_PREFIX}rl:${name}`,
        points,
        duration,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `mem:${name}`, points, duration }),
      });
    if (config.RATE_LIMIT_PER_MINUTE > 0) this.minute = make('min', config.RATE_LIMIT_PER_MINUTE, 60);
    if (config.RATE_LIMIT_BURST_PER_SECOND > 0) this.burst = make('sec', config.RATE_LIMIT_BURST_PER_SECOND, 1);
  }

  get enabled(): boolean {
    return !!(this.minute || this.burst);
  }

  async consume(key: string): Promise<RateDecision> {
    const [minute, burst] = await Promise.all([settle(this.minute, key), settle(this.burst, key)]);
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
}

interface Settled {
  ok: boolean;
  res: RateLimiterRes;
}

async function settle(limiter: RateLimiterRedis | undefined, key: string): Promise<Settled | undefined> {
  if (!limiter) return undefined;
  try {
    return { ok: true, res: await limiter.consume(key) };
  } catch (err) {
    if (err instanceof RateLimiterRes) return { ok: false, res: err };
    throw err;
  }
}
