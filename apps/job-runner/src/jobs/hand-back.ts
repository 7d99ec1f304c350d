/**
 * A run giving its job back to the queue instead of finishing it: the replica is shutting down, or a
 * dependency the run writes to (Postgres) is unavailable. Thrown out of the Bull handler, it makes
 * Bull re-queue the job (a retry of the Bull entry, delayed by `delayMs` through the `hand-back`
 * backoff strategy), so another replica, or this one later, runs it again as a new attempt.
 *
 * A hand-back writes nothing: the job stays `running` in Postgres until the next attempt claims it
 * (continuing its seq), and it never counts as a lost run towards JOB_MAX_ATTEMPTS — a hand-back
 * says nothing about the job itself, and counting it would let a rolling restart or a Postgres blip
 * fail a long job. Hand-backs after a claim are counted in the Bull entry's data (`handed_back`),
 * so the next run can tell them from runs lost with their replica.
 */
export class HandBack extends Error {
  override readonly name = 'HandBack';
  /** Set by the processor before the error goes to Bull. */
  delayMs = 0;

  constructor(
    readonly kind: 'shutdown' | 'unavailable',
    detail: string,
    /** Whether the run had claimed the job (bumped its attempt) before giving it back. */
    readonly afterClaim = false,
  ) {
    super(`handed back (${kind}): ${detail}`);
  }
}

/** Bull backoff strategy name (registered in the queue settings, used by every job's options). */
export const HAND_BACK_BACKOFF = 'hand-back';

/** Bull re-queues a HandBack after its delay; anything else reaching Bull is not retried (-1). */
export function handBackBackoff(_attemptsMade: number, err: unknown): number {
  return err instanceof HandBack ? err.delayMs : -1;
}

/** Delay before a job handed back because a dependency is down runs again: 0.5 s doubling per hand-back, at most 10 s. */
export function unavailableDelay(handBacks: number): number {
  return Math.min(500 * 2 ** Math.min(handBacks, 10), 10_000);
}

/** How many times a Bull entry may be handed back (at 10 s each, hours of outage) before Bull gives up on it; the sweeper then re-queues it. */
export const MAX_HAND_BACKS = 1000;
