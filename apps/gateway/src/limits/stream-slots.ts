import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { GatewayConfig } from '../config';
import { GATEWAY_REDIS } from './redis.provider';

/** A slot not refreshed for this long is free again, so a crashed replica cannot hold slots forever. */
const SLOT_TTL_MS = 60_000;
const HEARTBEAT_MS = 20_000;

// KEYS[1] = the caller's slot set; ARGV = now, expires_at, member, max, key_ttl_ms
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

export interface StreamSlot {
  release(): void;
}

/**
 * Concurrent SSE streams per caller, counted across replicas: a Redis sorted set per caller whose
 * members are open streams scored by their expiry. Open streams refresh their score; a closed
 * response removes its member at once; a replica that dies leaves members that expire by themselves.
 */
@Injectable()
export class StreamSlots {
  private readonly logger = new Logger(StreamSlots.name);

  constructor(
    @Inject(GATEWAY_REDIS) private readonly redis: Redis,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  get max(): number {
    return this.config.MAX_STREAMS_PER_CALLER;
  }

  /** A slot, or null when the caller already holds MAX_STREAMS_PER_CALLER streams. */
  async acquire(callerKey: string): Promise<StreamSlot | null> {
    const key = `${this.config.REDIS_KEY_PREFIX}streams:${callerKey}`;
    const member = randomUUID();
    const now = Date.now();
    let granted: unknown;
    try {
      granted = await this.redis.eval(ACQUIRE, 1, key, now, now + SLOT_TTL_MS, member, this.max, SLOT_TTL_MS * 2);
    } catch (err) {
      // Without Redis the cap cannot be counted; the per-caller rate limit still bounds new streams.
      this.logger.warn(`stream cap not enforced (redis: ${(err as Error).message})`);
      return { release: () => undefined };
    }
    if (granted !== 1) return null;
    const heartbeat = setInterval(() => {
      this.redis.zadd(key, 'XX', Date.now() + SLOT_TTL_MS, member).catch(() => undefined);
      this.redis.pexpire(key, SLOT_TTL_MS * 2).catch(() => undefined);
    }, HEARTBEAT_MS);
    heartbeat.unref();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        this.redis.zrem(key, member).catch(() => undefined);
      },
    };
  }
}
