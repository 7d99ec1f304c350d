import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { StreamSlots } from '../../../apps/gateway/src/limits/stream-slots';
import type { GatewayConfig } from '../../../apps/gateway/src/config';

/** The per-caller stream cap against the real Redis: counting, release, and the shared refresh. */
describe('StreamSlots (integration)', () => {
  let redis: Redis;
  const prefix = `it-slots-${process.pid}-${Date.now()}:`;
  const config = { MAX_STREAMS_PER_CALLER: 2, REDIS_KEY_PREFIX: prefix } as GatewayConfig;
  const key = (caller: string) => `${prefix}streams:${caller}`;

  beforeAll(() => {
    redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/1');
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('caps streams per caller across replicas and frees a slot on release', async () => {
    const a = new StreamSlots(redis, config);
    const b = new StreamSlots(redis, config); // another replica, same Redis
    const first = await a.acquire('alice');
    const second = await b.acquire('alice');
    expect(first && second).toBeTruthy();
    expect(await a.acquire('alice')).toBeNull();
    expect(await b.acquire('bob')).not.toBeNull();
    first!.release();
    first!.release(); // harmless twice
    await new Promise((r) => setTimeout(r, 50));
    expect(await a.acquire('alice')).not.toBeNull();
  });

  it('refreshes every slot this replica holds in one pass, and only those', async () => {
    const mine = new StreamSlots(redis, config);
    const slot = await mine.acquire('carol');
    expect(slot).not.toBeNull();
    // A member left by a replica that died: nobody refreshes it.
    await redis.zadd(key('carol'), Date.now() + 1000, 'dead-replica-member');
    const [member] = await redis.zrangebyscore(key('carol'), Date.now() + 30_000, '+inf');
    await redis.zadd(key('carol'), 'XX', Date.now() + 1000, member); // pretend its expiry is near
    await mine.refresh();
    const scores = Object.fromEntries(
      (await redis.zrange(key('carol'), 0, -1, 'WITHSCORES')).reduce<string[][]>((acc, v, i, all) => (i % 2 ? acc : [...acc, [v, all[i + 1]]]), []),
    );
    expect(Number(scores[member])).toBeGreaterThan(Date.now() + 50_000);
    expect(Number(scores['dead-replica-member'])).toBeLessThan(Date.now() + 2000);
    slot!.release();
    await new Promise((r) => setTimeout(r, 50));
    expect(await redis.zscore(key('carol'), member)).toBeNull();
  });
});
