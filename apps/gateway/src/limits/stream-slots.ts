import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
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
export class StreamSlots implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(StreamSlots.name);
  /** This replica's open slots (member → caller's set): one timer refreshes them all, not one per stream. */
  private readonly held = new Map<string, string>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    @Inject(GATEWAY_REDIS) private readonly redis: Redis,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    this.heartbeat = setInterval(() => this.refresh(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.heartbeat);
  }

  /** Pushes every held slot's expiry forward, in one pipeline. */
  refresh(): Promise<unknown> {
    if (this.held.size === 0) return Promise.resolve();
    const expiresAt = Date.now() + SLOT_TTL_MS;
    const pipeline = this.redis.pipeline();
    const keys = new Set<string>();
    for (const [member, key] of this.held) {
      pipeline.zadd(key, 'XX', expiresAt, member);
      keys.add(key);
    }
    for (const key of keys) pipeline.pexpire(key, SLOT_TTL_MS * 2);
    return pipeline.exec().catch((err: Error) => this.logger.warn(`stream slots not refreshed (redis: ${err.message})`));
  }

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
    this.held.set(member, key);
    return {
      release: () => {
        if (!this.held.delete(member)) return;
        this.redis.zrem(key, member).catch(() => undefined);
      },
    };
  }
}
