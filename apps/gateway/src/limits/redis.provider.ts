import { Inject, Injectable, Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { GatewayConfig } from '../config';

export const GATEWAY_REDIS = Symbol('GATEWAY_REDIS');

/**
 * A command on a healthy Redis takes about a millisecond; one that has not answered after this long
 * means Redis hangs (stopped, partitioned), and the request would rather decide without it.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/**
 * The gateway's one Redis connection: rate-limit counters, stream slots, API keys, the ticket key.
 * Everything it serves is asked for on a request's path, so it never makes a request wait for Redis:
 * no offline queue (a command while disconnected fails at once instead of waiting for a reconnect),
 * no retry of a command, a short command timeout. Callers decide what a failure means (the limits
 * count in memory, see RedisCircuit; an API-key lookup is a 503).
 */
export const gatewayRedisProvider: Provider = {
  provide: GATEWAY_REDIS,
  inject: [GatewayConfig],
  useFactory: (config: GatewayConfig) => {
    const logger = new Logger('Redis');
    const redis = new Redis(config.REDIS_URL, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      // Reconnect quickly: the limits are per replica (in memory) until it is back.
      retryStrategy: (times) => Math.min(times * 100, 1000),
    });
    let down = false;
    redis.on('error', (err: Error) => {
      if (!down) logger.warn(`redis unavailable: ${err.message}`);
      down = true;
    });
    redis.on('ready', () => {
      if (down) logger.log('redis available again');
      down = false;
    });
    return redis;
  },
};

/** How long the limits stop asking Redis after a command failed, before one request tries again. */
export const REDIS_BREAK_MS = 2000;

/**
 * A circuit breaker in front of Redis for the per-request limits (rate limits, stream slots): while
 * the connection is not ready, or for REDIS_BREAK_MS after a command failed or timed out, `allow()`
 * says no and the caller decides in memory at once. After the pause one request at a time probes
 * Redis again; its success closes the circuit. So a dead Redis costs no request any waiting, and a
 * hung one costs one request per pause at most REDIS_COMMAND_TIMEOUT_MS.
 */
@Injectable()
export class RedisCircuit {
  /** The pause after a failure (a field so a test can shorten it). */
  breakMs = REDIS_BREAK_MS;
  private openUntil = 0;
  private probing = false;

  constructor(@Inject(GATEWAY_REDIS) private readonly redis: Redis) {}

  /** Whether to ask Redis now. A true in the half-open state makes this request the probe: report its outcome. */
  allow(): boolean {
    if (this.redis.status !== 'ready') return false;
    if (this.openUntil === 0) return true;
    if (Date.now() < this.openUntil || this.probing) return false;
    this.probing = true;
    return true;
  }

  succeeded(): void {
    this.openUntil = 0;
    this.probing = false;
  }

  failed(): void {
    this.openUntil = Date.now() + this.breakMs;
    this.probing = false;
  }

  /** Runs `command` against Redis if the circuit allows, else (or when it fails) `fallback`. */
  async run<T>(command: (redis: Redis) => Promise<T>, fallback: (err?: Error) => T): Promise<T> {
    if (!this.allow()) return fallback();
    try {
      const value = await command(this.redis);
      this.succeeded();
      return value;
    } catch (err) {
      this.failed();
      return fallback(err as Error);
    }
  }

  get open(): boolean {
    return this.redis.status !== 'ready' || this.openUntil !== 0;
  }
}

@Injectable()
export class GatewayRedisShutdown implements OnApplicationShutdown {
  constructor(@Inject(GATEWAY_REDIS) private readonly redis: Redis) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
