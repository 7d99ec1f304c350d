import { Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import type { Redis } from 'ioredis';
import {
  ApiKeyStore,
  ApiKeyValidator,
  AUTH_OPTIONS,
  AuthGuard,
  type AuthOptions,
  type JwtAlgorithm,
  JwtValidator,
  loadValidatorModules,
  parseModuleList,
  provideValidator,
  TICKET_AUTHENTICATOR,
  ValidatorRegistry,
} from '@platform/auth';
import { GatewayConfig } from '../config';
import { GATEWAY_REDIS } from '../limits/redis.provider';
import { GatewayGuard } from './gateway.guard';
import { StreamTickets } from './stream-tickets';
import { StreamTicketsController } from './stream-tickets.http.controller';

/** The JWT validator when AUTH_JWT_ISSUER is set; misconfiguration stops the gateway at start-up. */
export function jwtValidatorFrom(config: GatewayConfig): JwtValidator | null {
  if (!config.AUTH_JWT_ISSUER) {
    if (config.AUTH_JWT_JWKS_URI || config.AUTH_JWT_AUDIENCE)
      throw new Error('AUTH_JWT_JWKS_URI/AUTH_JWT_AUDIENCE need AUTH_JWT_ISSUER (the issuer is always checked)');
    return null;
  }
  const audience = (config.AUTH_JWT_AUDIENCE ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (audience.length === 0) throw new Error('AUTH_JWT_ISSUER is set but AUTH_JWT_AUDIENCE is not: the JWT validator always checks the audience');
  return new JwtValidator({
    issuer: config.AUTH_JWT_ISSUER,
    audience,
    jwksUri: config.AUTH_JWT_JWKS_URI,
    algorithms: config.AUTH_JWT_ALGORITHMS.split(',') as JwtAlgorithm[],
    clockToleranceSeconds: config.AUTH_JWT_CLOCK_SKEW_SECONDS,
  });
}

class AuthSummary implements OnApplicationBootstrap {
  constructor(
    private readonly registry: ValidatorRegistry,
    private readonly config: GatewayConfig,
  ) {}
  onApplicationBootstrap(): void {
    new Logger('Auth').log(`REQUIRE_AUTH=${this.config.REQUIRE_AUTH}; validators: ${this.registry.describe().join(', ') || 'none'}`);
  }
}

/**
 * Authentication at the edge: the global guard, the configured validators (JWT, API keys, packages
 * in AUTH_VALIDATOR_MODULES — in that order, then any registered with provideValidator elsewhere),
 * and stream tickets.
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [StreamTicketsController],
  providers: [
    {
      provide: AUTH_OPTIONS,
      inject: [GatewayConfig],
      // Public routes say so with @Public() (health probes, the debug console page); Swagger's /docs and
      // /openapi.json are not Nest routes, so no guard sees them. No path list to keep in step with routes.
      useFactory: (config: GatewayConfig): AuthOptions => ({ requireAuth: config.REQUIRE_AUTH, publicPaths: [] }),
    },
    provideValidator({ inject: [GatewayConfig], useFactory: jwtValidatorFrom }),
    provideValidator({
      inject: [GatewayConfig, GATEWAY_REDIS],
      useFactory: (config: GatewayConfig, redis: Redis) =>
        config.AUTH_API_KEYS_ENABLED
          ? new ApiKeyValidator(new ApiKeyStore(redis, config.REDIS_KEY_PREFIX), { cacheTtlMs: config.AUTH_API_KEY_CACHE_TTL_MS })
          : null,
    }),
    provideValidator({
      inject: [GatewayConfig],
      useFactory: (config: GatewayConfig) => loadValidatorModules(parseModuleList(config.AUTH_VALIDATOR_MODULES)),
    }),
    ValidatorRegistry,
    StreamTickets,
    { provide: TICKET_AUTHENTICATOR, useExisting: StreamTickets },
    AuthGuard,
    GatewayGuard,
    { provide: APP_GUARD, useExisting: GatewayGuard },
    { provide: AuthSummary, inject: [ValidatorRegistry, GatewayConfig], useFactory: (r: ValidatorRegistry, c: GatewayConfig) => new AuthSummary(r, c) },
  ],
  exports: [ValidatorRegistry, StreamTickets],
})
export class GatewayAuthModule {}
