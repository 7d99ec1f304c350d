export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

export interface AuthOptions {
  /** `REQUIRE_AUTH`: every non-public route needs a valid bearer token. Otherwise callers without one are anonymous. */
  requireAuth: boolean;
  /** Paths that never need credentials (probes, docs, static console files). A path matches itself and everything below it. */
  publicPaths: string[];
}
