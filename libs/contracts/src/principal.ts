/** Who is calling. Travels with every NATS message in the `x-principal` header. */
export interface Principal {
  /** `anonymous`, `jwt`, `api_key`, or whatever a custom validator names itself. */
  type: string;
  /** Stable owner id. Anonymous callers share the owner `anonymous`. */
  sub: string;
  /** Callers that cannot answer a clarifying question (anonymous, API keys, `X-AIQ-Mode: headless`). */
  skip_clarifier?: boolean;
  [claim: string]: unknown;
}

export const ANONYMOUS: Principal = Object.freeze({ type: 'anonymous', sub: 'anonymous', skip_clarifier: true });

/** The owner key a resource is stored under. */
export function ownerOf(principal: Principal | undefined): string {
  if (!principal) return ANONYMOUS.sub;
  return principal.type === 'anonymous' ? ANONYMOUS.sub : `${principal.type}:${principal.sub}`;
}
