import { describe, expect, it } from '@jest/globals';
import { bullRedisOptions } from './queue-redis';

describe('bullRedisOptions', () => {
  it('reads host, port, db and credentials from the URL and reconnects within a second', () => {
    const o = bullRedisOptions('redis://user:p%40ss@10.0.0.5:6380/2');
    expect(o).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, username: 'user', password: 'p@ss' });
    expect(o.tls).toBeUndefined();
    const retry = o.retryStrategy as (n: number) => number;
    expect([1, 5, 50].map(retry)).toEqual([100, 500, 1000]);
  });

  it('defaults port and db, and turns on TLS for rediss://', () => {
    expect(bullRedisOptions('redis://127.0.0.1')).toMatchObject({ host: '127.0.0.1', port: 6379, db: 0 });
    expect(bullRedisOptions('rediss://cache.example:6379').tls).toEqual({});
  });
});
