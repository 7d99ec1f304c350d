import { Global, Module } from '@nestjs/common';
import { LimitsGuard } from './limits.guard';
import { RateLimiter } from './rate-limiter';
import { GATEWAY_REDIS, GatewayRedisShutdown, RedisCircuit, gatewayRedisProvider } from './redis.provider';
import { StreamSlots } from './stream-slots';

/** Per-caller rate limits and stream caps, counted in Redis so all gateway replicas share them. */
@Global()
@Module({
  providers: [gatewayRedisProvider, GatewayRedisShutdown, RedisCircuit, RateLimiter, StreamSlots, LimitsGuard],
  exports: [GATEWAY_REDIS, LimitsGuard, StreamSlots],
})
export class LimitsModule {}
