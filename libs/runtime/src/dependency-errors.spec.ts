import { describe, expect, it } from '@jest/globals';
import { isDependencyUnavailable } from './dependency-errors';

describe('isDependencyUnavailable', () => {
  it('recognises a dependency that is down or went away', () => {
    const cases: unknown[] = [
      { code: '57P01', message: 'terminating connection due to administrator command' },
      { code: '08006', message: 'connection failure' },
      { name: 'QueryFailedError', message: 'x', driverError: { code: '57P03', message: 'the database system is starting up' } },
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Driver not Connected'),
      new Error('Connection is closed.'),
      new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
    ];
    for (const c of cases) expect({ c, down: isDependencyUnavailable(c) }).toEqual({ c, down: true });
  });

  it('leaves bugs and bad requests alone', () => {
    const cases: unknown[] = [
      new TypeError('x is undefined'),
      { code: '23505', message: 'duplicate key' },
      { code: '22P02', message: 'invalid input' },
      null,
      'boom',
    ];
    for (const c of cases) expect({ c, down: isDependencyUnavailable(c) }).toEqual({ c, down: false });
  });
});
