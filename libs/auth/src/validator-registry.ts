import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { isTokenValidator, isValidatorToken, type TokenValidator, validatorTokenOrder } from './validator';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';

/** Every validator registered with `provideValidator` anywhere in the application, in registration order. */
@Injectable()
export class ValidatorRegistry implements OnApplicationBootstrap {
  private collected?: TokenValidator[];

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
  ) {}

  get validators(): TokenValidator[] {
    if (!this.collected) {
      const found = this.discovery
        .getProviders()
        .filter((w) => isValidatorToken(w.token) && w.isDependencyTreeStatic())
        .sort((a, b) => validatorTokenOrder(a.token as symbol) - validatorTokenOrder(b.token as symbol));
      const seen = new Set<unknown>();
      this.collected = [];
      for (const w of found) {
        if (seen.has(w.token)) continue;
        seen.add(w.token);
        const value: unknown = w.instance;
        for (const v of Array.isArray(value) ? value : [value]) {
          if (v === null || v === undefined) continue;
          if (!isTokenValidator(v)) throw new Error(`provider ${String(w.token.toString())} is not a token validator (needs validate(token))`);
          this.collected.push(v);
        }
      }
    }
    return this.collected;
  }

  /** REQUIRE_AUTH without any way to authenticate would lock everyone out: refuse to start instead. */
  onApplicationBootstrap(): void {
    if (this.options.requireAuth && this.validators.length === 0) {
      throw new Error(
        'REQUIRE_AUTH=true but no token validator is configured: set AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE, ' +
          'or AUTH_API_KEYS_ENABLED=true, or AUTH_VALIDATOR_MODULES, or register one with provideValidator()',
      );
    }
  }

  describe(): string[] {
    return this.validators.map((v) => v.name ?? v.constructor?.name ?? 'validator');
  }
}
