import { afterAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { Pool } from 'pg';
import { breakerClient, PostgresBreaker, PostgresUnavailableError } from '@platform/runtime';
import { testEnv } from '../../support/services';

/**
 * The breaker in front of a real pg Pool: against a "Postgres" that hangs up on every connection, the
 * first attempt fails by itself and opens the breaker; the next ones fail at once without touching the
 * network; one trial per interval goes through; against the real Postgres a trial closes it.
 */
describe('Postgres breaker (integration)', () => {
  const pools: Pool[] = [];
  const pool = (url: string, breaker: PostgresBreaker) => {
    const p = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2000, Client: breakerClient(breaker) });
    p.on('error', () => undefined);
    pools.push(p);
    return p;
  };
  afterAll(() => Promise.all(pools.map((p) => p.end())));

  it('fails fast while open, probes once per interval, and closes when Postgres answers', async () => {
    let connections = 0;
    const dead = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as net.AddressInfo).port;
    try {
      const breaker = new PostgresBreaker(300);
      const down = pool(`postgres://x:y@127.0.0.1:${port}/none`, breaker);
      await expect(down.query('SELECT 1')).rejects.toThrow(/Connection terminated/);
      expect(breaker.isOpen).toBe(true);
      expect(connections).toBe(1);

      const started = Date.now();
      const fast = await Promise.allSettled(Array.from({ length: 20 }, () => down.query('SELECT 1')));
      expect(Date.now() - started).toBeLessThan(100);
      expect(fast.every((r) => r.status === 'rejected' && r.reason instanceof PostgresUnavailableError)).toBe(true);
      expect(connections).toBe(1); // not one attempt reached the network

      await new Promise((r) => setTimeout(r, 320));
      await expect(down.query('SELECT 1')).rejects.toThrow(/Connection terminated/); // the trial
      expect(connections).toBe(2);
    } finally {
      dead.close();
    }

    // The same breaker logic against the real server: open it, then the first trial connects and closes it.
    const breaker = new PostgresBreaker(50);
    breaker.record(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const up = pool(testEnv().DATABASE_URL, breaker);
    await expect(up.query('SELECT 1')).rejects.toBeInstanceOf(PostgresUnavailableError);
    await new Promise((r) => setTimeout(r, 60));
    expect((await up.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(breaker.isOpen).toBe(false);
    expect((await Promise.all([up.query('SELECT 2 AS two'), up.query('SELECT 3 AS three')])).length).toBe(2);
  });
});
