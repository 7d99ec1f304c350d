import type { FactoryProvider, Provider, Type, ValueProvider } from '@nestjs/common';
import type { Principal } from '@platform/contracts';

/**
 * Turns a bearer token into a principal. Answer `null` for a token this validator does not recognise
 * or cannot verify (the next validator gets a turn); throw only when verification itself is broken
 * (key server unreachable…), which the guard answers with 503 instead of a misleading 401.
 */
export interface TokenValidator {
  /** Shown in logs and in the start-up summary. */
  readonly name?: string;
  validate(token: string): Promise<Principal | null> | Principal | null;
}

/**
 * The validator "multi-provider". NestJS has no `multi: true`, so `provideValidator` gives each
 * registration its own token named `AUTH_VALIDATORS#<n>`, and `ValidatorRegistry` collects every
 * provider so named, from any module, in registration order. A provider may resolve to one
 * validator, a list of them, or null (not configured).
 */
export const AUTH_VALIDATORS = 'AUTH_VALIDATORS';
let registrations = 0;

export function isValidatorToken(token: unknown): token is symbol {
  return typeof token === 'symbol' && (token.description ?? '').startsWith(`${AUTH_VALIDATORS}#`);
}

/** Registration order of a validator token. */
export function validatorTokenOrder(token: symbol): number {
  return Number((token.description ?? '').split('#')[1]);
}

export function isTokenValidator(value: unknown): value is TokenValidator {
  return typeof value === 'object' && value !== null && typeof (value as TokenValidator).validate === 'function';
}

/**
 * Programmatic registration (the AI-Q API's `register_validator`), as a NestJS multi-provider:
 *
 *   providers: [provideValidator(MyValidator)]                       // a class Nest instantiates
 *   providers: [provideValidator({ useFactory: (cfg) => new V(cfg), inject: [Cfg] })]
 *   providers: [provideValidator(new MyValidator())]                  // an instance
 *
 * Any module of the application may register validators this way; ValidatorRegistry finds them all.
 */
export function provideValidator(
  validator: Type<TokenValidator> | TokenValidator | Omit<FactoryProvider<TokenValidator | TokenValidator[] | null>, 'provide'>,
): Provider {
  const provide = Symbol(`${AUTH_VALIDATORS}#${String(++registrations).padStart(6, '0')}`);
  if (typeof validator === 'function') return { provide, useClass: validator };
  if (isTokenValidator(validator)) return { provide, useValue: validator } satisfies ValueProvider;
  return { ...validator, provide } as Provider;
}

/** Tries each validator in turn; the first non-null principal wins. */
export async function firstPrincipal(validators: readonly TokenValidator[], token: string): Promise<Principal | null> {
  let failure: unknown;
  for (const v of validators) {
    try {
      const p = await v.validate(token);
      if (p && typeof p.type === 'string' && typeof p.sub === 'string' && p.sub !== '') return p;
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw new ValidatorUnavailableError(failure);
  return null;
}

/** No validator accepted the token and at least one could not check it (as opposed to rejecting it). */
export class ValidatorUnavailableError extends Error {
  override name = 'ValidatorUnavailableError';
  constructor(override readonly cause: unknown) {
    super(`a token validator failed: ${(cause as Error)?.message ?? String(cause)}`);
  }
}
