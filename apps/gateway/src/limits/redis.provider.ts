import { Inject, Injectable, Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { GatewayConfig } from '../config';

export const GATEWAY_REDIS = Symbol('GATEWAY_REDIS');

/** The gateway's one Redis connection: rate-limit counters, stream slots, API keys, the ticket key. Commands fail fast instead of queueing forever. */
export const gatewayRedisProvider: Provider = {
  provide: GATEWAY_REDIS,
  inject: [GatewayConfig],
  useFactory: (config: GatewayConfig) => {
    const logger = new Logger('Redis');
    const redis = new Redis(config.REDIS_URL, {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      commandTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    let down = false;
    redis.on('error', (err: Error) => {
      if (!down) logger.warn(`redis unavailable: ${err.message}`);
      down = true;
    });
    redis.on('ready', () => (down = false));
    return redis;
  },
};

@Injectable()
export class GatewayRedisShutdown implements OnApplicationShutdown {
  constructor(@Inject(GATEWAY_REDIS) private readonly redis: Redis) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
