/** A JSON body with a NUL character in a string or key: Postgres can store it in neither text nor jsonb. */
export class NulInJsonBody extends Error {}

/**
 * `JSON.parse` reviver for every JSON body: a NUL (U+0000) anywhere would otherwise reach a service
 * and fail in Postgres as a 500; here it is the caller's 422.
 */
export function rejectNul(key: string, value: unknown): unknown {
  if (key.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) {
    throw new NulInJsonBody('JSON strings and keys must not contain NUL (\\u0000) characters');
  }
  return value;
}
