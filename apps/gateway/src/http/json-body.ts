import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';

/** A JSON body the gateway refuses before any service sees it (422 with this message). */
export class UnacceptableJsonBody extends Error {}

/** Deeper than any API document's shapes need; far below what would exhaust the stack in a reviver or class-transformer. */
export const MAX_JSON_DEPTH = 64;
/** Keys that would reach prototypes in code that copies objects by key. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `verify` hook of the JSON body parser, on the raw bytes: invalid UTF-8 would otherwise be replaced
 * by U+FFFD without a word, and a deeply nested document would reach `JSON.parse`'s reviver and fail
 * as an internal "Maximum call stack size exceeded".
 */
export function verifyJsonBytes(_req: IncomingMessage, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) throw new UnacceptableJsonBody('The body is not valid UTF-8');
  if (nestingDepth(buf) > MAX_JSON_DEPTH) throw new UnacceptableJsonBody(`JSON nesting deeper than ${MAX_JSON_DEPTH} levels`);
}

/** Deepest `[`/`{` nesting outside strings; one pass over the bytes, no allocation. */
export function nestingDepth(buf: Uint8Array): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * `JSON.parse` reviver for every JSON body. A NUL (U+0000) anywhere would reach a service and fail in
 * Postgres (text and jsonb cannot hold it) as a 500; `__proto__`, `constructor` and `prototype` keys
 * are never part of an API shape and are refused anywhere in the document.
 */
export function checkJsonValue(key: string, value: unknown): unknown {
  if (key.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) {
    throw new UnacceptableJsonBody('JSON strings and keys must not contain NUL (\\u0000) characters');
  }
  if (FORBIDDEN_KEYS.has(key)) throw new UnacceptableJsonBody(`The key "${key}" is not allowed in a JSON body`);
  return value;
}
