import { describe, expect, it } from '@jest/globals';
import { capacityOf, freshness, healthScore, loadOf, nextFailureRate, type HealthInputs } from './health';

const now = new Date('2030-01-01T00:00:10Z');
const base: HealthInputs = {
  status: 'active',
  lastHeartbeat: now,
  now,
  heartbeatIntervalMs: 10_000,
  heartbeatTolerance: 3,
  loadMetrics: {},
  activeTasks: 0,
  capacity: null,
  failureRate: 0,
};

describe('health score', () => {
  it('is 1 for a fresh, idle agent that never failed', () => {
    expect(healthScore(base)).toBe(1);
  });

  it('is 0 when stale', () => {
    expect(healthScore({ ...base, status: 'stale' })).toBe(0);
  });

  it('decays with heartbeat age from one interval to interval × tolerance', () => {
    expect(freshness(5_000, 10_000, 3)).toBe(1);
    expect(freshness(20_000, 10_000, 3)).toBeCloseTo(0.5);
    expect(freshness(30_000, 10_000, 3)).toBe(0);
    const at = (ageMs: number) => healthScore({ ...base, lastHeartbeat: new Date(now.getTime() - ageMs) });
    expect(at(20_000)).toBeCloseTo(0.8); // 0.4 × 0.5 + 0.3 + 0.3
    expect(at(60_000)).toBeCloseTo(0.6);
  });

  it('falls with load: the highest of cpu, memory and tasks per capacity', () => {
    expect(loadOf({ cpu_usage: 50 }, 0, null)).toBeCloseTo(0.5); // percent
    expect(loadOf({ memory_usage: 0.75 }, 0, null)).toBeCloseTo(0.75); // fraction
    expect(loadOf({}, 5, null)).toBeCloseTo(0.5); // 5 of the default 10
    expect(loadOf({ pending_tasks: 1 }, 1, 4)).toBeCloseTo(0.5);
    expect(loadOf({ active_connections: 8 }, 2, 8)).toBe(1);
    expect(healthScore({ ...base, loadMetrics: { cpu_usage: 100 } })).toBeCloseTo(0.7);
  });

  it('falls with recent failures and recovers with successes', () => {
    let rate = 0;
    for (let i = 0; i < 3; i++) rate = nextFailureRate(rate, true);
    expect(rate).toBeCloseTo(0.488);
    expect(healthScore({ ...base, failureRate: rate })).toBeCloseTo(1 - 0.3 * 0.488, 2);
    const recovered = [1, 2, 3, 4, 5].reduce((r) => nextFailureRate(r, false), rate);
    expect(recovered).toBeLessThan(rate / 2);
  });

  it('reads capacity from metadata.max_concurrent_tasks', () => {
    expect(capacityOf({ max_concurrent_tasks: 4 })).toBe(4);
    expect(capacityOf({ max_concurrent_tasks: 'x' })).toBeNull();
    expect(capacityOf(undefined)).toBeNull();
  });
});
