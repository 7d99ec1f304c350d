import { describe, expect, it } from '@jest/globals';
import { isDependencyUnavailable } from './dependency-errors';
import { PostgresBreaker, PostgresUnavailableError } from './postgres-breaker';

describe('PostgresBreaker', () => {
  const clock = () => {
    let t = 1_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  it('admits every attempt while closed and ignores failures that are not unavailability', () => {
    const c = clock();
    const b = new PostgresBreaker(250, c.now);
    b.record(Object.assign(new Error('password authentication failed'), { code: '28P01' }));
    expect(b.isOpen).toBe(false);
    expect([b.admit(), b.admit(), b.admit()]).toEqual([true, true, true]);
  });

  it('opens on an unavailable failure, then lets one trial through per probe interval until one connects', () => {
    const c = clock();
    const b = new PostgresBreaker(250, c.now);
    b.record(refused);
    expect(b.isOpen).toBe(true);
    expect(b.admit()).toBe(false);
    c.advance(249);
    expect(b.admit()).toBe(false);
    c.advance(1);
    expect(b.admit()).toBe(true); // the trial
    expect(b.admit()).toBe(false); // only one per interval
    b.record(refused); // the trial failed: still open, next trial one interval later
    c.advance(250);
    expect(b.admit()).toBe(true);
    b.record(null); // it connected
    expect(b.isOpen).toBe(false);
    expect([b.admit(), b.admit()]).toEqual([true, true]);
  });

  it('fails with an error the RPC filter answers 503', () => {
    expect(isDependencyUnavailable(new PostgresUnavailableError())).toBe(true);
  });
});
