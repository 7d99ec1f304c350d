import { Logger } from '@nestjs/common';
import type { JwksClient } from 'jwks-rsa';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { Principal } from '@platform/contracts';
import type { TokenValidator } from './validator';

/** Asymmetric algorithms only: `none` and every HS* (the RS/HS key-confusion attack) can never be configured. */
export const ASYMMETRIC_JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type JwtAlgorithm = (typeof ASYMMETRIC_JWT_ALGORITHMS)[number];

export interface JwtValidatorOptions {
  /** Expected `iss`; also where OIDC discovery looks when `jwksUri` is not given. */
  issuer: string;
  /** Expected `aud` (any of them). */
  audience: string | string[];
  /** JWKS location; when absent it is read from `<issuer>/.well-known/openid-configuration`. */
  jwksUri?: string;
  algorithms?: JwtAlgorithm[];
  /** Leeway for `exp`/`nbf`/`iat`, in seconds. */
  clockToleranceSeconds?: number;
  /** Key server request timeout. */
  timeoutMs?: number;
  /** JWKS cache lifetime; an unknown `kid` refetches earlier (at most `jwksRequestsPerMinute`). */
  cacheMaxAgeMs?: number;
  jwksRequestsPerMinute?: number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function decodeHeader(token: string): { alg?: unknown; kid?: unknown } | null {
  try {
    const h = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as unknown;
    return typeof h === 'object' && h !== null ? (h as { alg?: unknown; kid?: unknown }) : null;
  } catch {
    return null;
  }
}

interface VerifyRequest {
  token: string;
  /** A key lookup that failed for a reason other than "no such key" (network, key server down). */
  keyServerError?: unknown;
}

/**
 * Verifies JWTs with passport-jwt against keys from a JWKS (jwks-rsa: cached, refetched on an unknown
 * `kid`, rate limited). Algorithms are pinned to asymmetric ones, and a token whose header names any
 * other algorithm is refused before a key is even looked up. `iss`, `aud`, `exp` and `nbf` are checked
 * with a small clock tolerance. Principal: `{type: 'jwt', sub, iss}`.
 */
export class JwtValidator implements TokenValidator {
  readonly name = 'jwt';
  private readonly logger = new Logger(JwtValidator.name);
  private readonly strategy: JwtStrategy;
  private readonly algorithms: JwtAlgorithm[];
  private jwks?: Promise<JwksClient>;

  constructor(private readonly options: JwtValidatorOptions) {
    this.algorithms = options.algorithms?.length ? options.algorithms : ['RS256', 'ES256'];
    const bad = this.algorithms.filter((a) => !(ASYMMETRIC_JWT_ALGORITHMS as readonly string[]).includes(a));
    if (bad.length) throw new Error(`JWT algorithms must be asymmetric (${ASYMMETRIC_JWT_ALGORITHMS.join(', ')}); refused: ${bad.join(', ')}`);
    if (!options.issuer) throw new Error('the JWT validator needs an issuer');
    const audience = Array.isArray(options.audience) ? options.audience : [options.audience];
    if (audience.length === 0 || audience.some((a) => !a)) throw new Error('the JWT validator needs an audience');

    this.strategy = new JwtStrategy(
      {
        jwtFromRequest: (req: VerifyRequest) => req.token,
        passReqToCallback: false,
        secretOrKeyProvider: (req: VerifyRequest, raw: string, done: (err: unknown, key?: string) => void) => {
          this.keyFor(raw).then(
            (key) => done(null, key),
            (err: unknown) => {
              if ((err as Error)?.name !== 'SigningKeyNotFoundError' && (err as Error)?.name !== 'TokenRejected') req.keyServerError = err;
              done(err);
            },
          );
        },
        issuer: options.issuer,
        audience: audience.length === 1 ? audience[0] : (audience as [string, ...string[]]),
        algorithms: this.algorithms,
        ignoreExpiration: false,
        jsonWebTokenOptions: { clockTolerance: options.clockToleranceSeconds ?? 30 },
      },
      (payload: Record<string, unknown>, done: (err: unknown, user?: Principal | false) => void) => done(null, this.toPrincipal(payload) ?? false),
    );
  }

  async validate(token: string): Promise<Principal | null> {
    if (!JWT_SHAPE.test(token)) return null;
    const req: VerifyRequest = { token };
    return new Promise<Principal | null>((resolve, reject) => {
      // passport's own pattern: a per-request object whose prototype is the configured strategy.
      const s = Object.create(this.strategy) as JwtStrategy & {
        success: (user: Principal) => void;
        fail: (info?: unknown) => void;
        error: (err: unknown) => void;
        redirect: () => void;
        pass: () => void;
      };
      s.success = (user) => resolve(user);
      s.fail = () => (req.keyServerError ? reject(req.keyServerError) : resolve(null));
      s.error = (err) => reject(err);
      s.redirect = () => resolve(null);
      s.pass = () => resolve(null);
      try {
        s.authenticate(req as never, {});
      } catch (err) {
        reject(err);
      }
    });
  }

  private toPrincipal(payload: Record<string, unknown>): Principal | null {
    if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 255) return null;
    const p: Principal = { type: 'jwt', sub: payload.sub, iss: payload.iss };
    if (typeof payload.scope === 'string') p.scope = payload.scope;
    return p;
  }

  private async keyFor(raw: string): Promise<string> {
    const header = decodeHeader(raw);
    if (!header || typeof header.alg !== 'string' || !(this.algorithms as string[]).includes(header.alg)) {
      throw Object.assign(new Error('token algorithm not allowed'), { name: 'TokenRejected' });
    }
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const key = await (await this.client()).getSigningKey(kid);
    return key.getPublicKey();
  }

  private client(): Promise<JwksClient> {
    if (!this.jwks) {
      // Loaded on first use: jwks-rsa pulls in ESM-only jose, which plain Jest cannot require.
      this.jwks = Promise.all([this.resolveJwksUri(), import('jwks-rsa')]).then(
        ([jwksUri, { JwksClient }]) =>
          new JwksClient({
            jwksUri,
            cache: true,
            cacheMaxEntries: 20,
            cacheMaxAge: this.options.cacheMaxAgeMs ?? 10 * 60_000,
            rateLimit: true,
            jwksRequestsPerMinute: this.options.jwksRequestsPerMinute ?? 10,
            timeout: this.options.timeoutMs ?? 5000,
          }),
      );
      // A failed discovery is retried on the next token, not cached forever.
      this.jwks.catch(() => (this.jwks = undefined));
    }
    return this.jwks;
  }

  private async resolveJwksUri(): Promise<string> {
    if (this.options.jwksUri) return this.options.jwksUri;
    const url = `${this.options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000), redirect: 'error' });
    if (!res.ok) throw new Error(`OIDC discovery at ${url} answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof doc.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
    if (doc.issuer !== undefined && doc.issuer !== this.options.issuer) {
      throw new Error(`OIDC discovery at ${url} names issuer ${String(doc.issuer)}, expected ${this.options.issuer}`);
    }
    this.logger.log(`JWKS from OIDC discovery: ${doc.jwks_uri}`);
    return doc.jwks_uri;
  }
}
