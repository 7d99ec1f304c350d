// Progress messages of the stack scripts, and two small helpers every module uses.

let logger = (msg) => console.log(`[stack] ${msg}`);
if (process.env.STACK_QUIET === '1' || process.env.STACK_QUIET === 'true') logger = () => {};

/**
 * Replace the progress logger (default: `console.log('[stack] …')`; `STACK_QUIET=1` silences it).
 * @param {(message: string) => void} fn
 */
export function setLogger(fn) {
  logger = fn;
}

/** Report progress through the current logger. */
export function log(msg) {
  logger(msg);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Indent every line of `text` by four spaces (for log tails inside messages). */
export function indent(text) {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
