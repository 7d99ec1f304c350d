/**
 * `p`'s outcome, or undefined once `ms` have passed: for shutdown steps that must not wait forever
 * (e.g. on a command queued while Redis reconnects). A rejection of `p` after the deadline is
 * handled (ignored), never an unhandled rejection.
 */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  p.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]).finally(() => clearTimeout(timer));
}
