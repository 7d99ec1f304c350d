/**
 * Health score of an agent, 0–1 (documented in docs/coordinator.md):
 *
 *   health = 0.4 · freshness + 0.3 · (1 − load) + 0.3 · (1 − failure_rate)      (0 when stale)
 *
 * - freshness: 1 while the last heartbeat is at most one interval old, falling linearly to 0 at
 *   `interval × tolerance` (where the sweeper marks the agent stale).
 * - load: the highest of cpu_usage, memory_usage (fractions, or percentages when > 1) and
 *   (active tasks + pending_tasks) / capacity, clamped to 0–1. Active tasks is the larger of what the
 *   coordinator assigned and what the agent reports as active_connections; capacity is
 *   metadata.max_concurrent_tasks, else 10.
 * - failure_rate: exponentially weighted share of recent assignments that failed (each outcome moves
 *   it 20 % of the way towards 1 for a failure, 0 for a success).
 */
export const DEFAULT_CAPACITY = 10;
export const FAILURE_WEIGHT = 0.2;

export interface HealthInputs {
  status: string;
  lastHeartbeat: Date;
  now: Date;
  heartbeatIntervalMs: number;
  heartbeatTolerance: number;
  loadMetrics: Record<string, number>;
  activeTasks: number;
  capacity: number | null;
  failureRate: number;
}

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
const fraction = (v: number | undefined): number => (v === undefined ? 0 : clamp01(v > 1 ? v / 100 : v));

export function freshness(ageMs: number, intervalMs: number, tolerance: number): number {
  if (ageMs <= intervalMs) return 1;
  const limit = intervalMs * Math.max(1, tolerance);
  if (ageMs >= limit || limit === intervalMs) return 0;
  return 1 - (ageMs - intervalMs) / (limit - intervalMs);
}

export function loadOf(loadMetrics: Record<string, number>, activeTasks: number, capacity: number | null): number {
  const cap = capacity && capacity > 0 ? capacity : DEFAULT_CAPACITY;
  const active = Math.max(activeTasks, loadMetrics.active_connections ?? 0);
  const connections = (active + Math.max(0, loadMetrics.pending_tasks ?? 0)) / cap;
  return clamp01(Math.max(fraction(loadMetrics.cpu_usage), fraction(loadMetrics.memory_usage), connections));
}

export function healthScore(h: HealthInputs): number {
  if (h.status === 'stale') return 0;
  const f = freshness(h.now.getTime() - h.lastHeartbeat.getTime(), h.heartbeatIntervalMs, h.heartbeatTolerance);
  const score = 0.4 * f + 0.3 * (1 - loadOf(h.loadMetrics, h.activeTasks, h.capacity)) + 0.3 * (1 - clamp01(h.failureRate));
  return Math.round(clamp01(score) * 1000) / 1000;
}

/** The failure rate after one more outcome. */
export function nextFailureRate(rate: number, failed: boolean): number {
  return clamp01(rate * (1 - FAILURE_WEIGHT) + (failed ? FAILURE_WEIGHT : 0));
}

/** `metadata.max_concurrent_tasks` when it is a positive integer. */
export function capacityOf(metadata: Record<string, unknown> | null | undefined): number | null {
  const v = metadata?.max_concurrent_tasks;
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;
}
