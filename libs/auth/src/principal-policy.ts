import { ANONYMOUS, type Principal } from '@platform/contracts';

/** Caller types that can never answer a clarifying question. */
const NON_INTERACTIVE_TYPES = new Set(['anonymous', 'api_key']);

/**
 * The principal agents see: anonymous and API-key callers, and any request marked
 * `X-AIQ-Mode: headless`, are non-interactive (`skip_clarifier: true`). A validator's own
 * `skip_clarifier: true` is kept; it can never be turned off for a non-interactive caller.
 */
export function withClarifierPolicy(principal: Principal | null | undefined, headless: boolean): Principal {
  const p = principal ?? ANONYMOUS;
  const skip = headless || NON_INTERACTIVE_TYPES.has(p.type) || p.skip_clarifier === true;
  return { ...p, skip_clarifier: skip };
}

export function isHeadless(modeHeader: string | string[] | undefined): boolean {
  const v = Array.isArray(modeHeader) ? modeHeader[0] : modeHeader;
  return typeof v === 'string' && v.trim().toLowerCase() === 'headless';
}
