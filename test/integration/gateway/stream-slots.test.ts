import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { LEASE_MS, LEASE_STALE_BELOW_MS, StreamSlots, type SlotRequest } from '../../../apps/gateway/src/limits/stream-slots';
import { RedisCircuit } from '../../../apps/gateway/src/limits/redis.provider';
import type { GatewayConfig } from '../../../apps/gateway/src/config';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The per-caller stream cap against the real Redis: counting, release, replica leases, resume takeover, Redis down. */
describe('StreamSlots (integration)', () => {
  let redis: Redis;
  const prefix = `it-slots-${process.pid}-${Date.now()}:`;
  const config = { MAX_STREAMS_PER_CALLER: 2, REDIS_KEY_PREFIX: prefix } as GatewayConfig;
  const key = (caller: string) => `${prefix}streams:${caller}`;
  const lease = (s: StreamSlots) => `${prefix}streams-lease:${s.replica}`;
  const replicas: StreamSlots[] = [];
  /** A gateway replica: its own slots and lease, on the shared Redis. */
  const replica = () => {
    const s = new StreamSlots(redis, config, new RedisCircuit(redis));
    replicas.push(s);
    return s;
  };
  const ask = (caller: string, stream: string, resume = false): SlotRequest => ({ caller, stream, resume });
  /** What a kill -9 leaves: the members and the lease, nobody refreshing it. */
  const kill = async (s: StreamSlots, leaseLeftMs: number) => {
    await s.onModuleDestroy().catch(() => undefined); // stops its timer…
    await redis.set(lease(s), '1', 'PX', leaseLeftMs); // …but a killed replica does not delete its lease
  };

  beforeAll(async () => {
    redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/1');
    await redis.ping();
  });

  afterAll(async () => {
    for (const s of replicas) await s.onModuleDestroy().catch(() => undefined);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('caps streams per caller across replicas and frees a slot on release', async () => {
    const a = replica();
    const b = replica(); // another replica, same Redis
    const first = await a.acquire(ask('alice', 'j1'));
    const second = await b.acquire(ask('alice', 'j2'));
    expect(first && second).toBeTruthy();
    expect(await a.acquire(ask('alice', 'j3'))).toBeNull();
    expect(await b.acquire(ask('bob', 'j1'))).not.toBeNull();
    first!.release();
    first!.release(); // harmless twice
    await sleep(50);
    expect(await a.acquire(ask('alice', 'j3'))).not.toBeNull();
  });

  it('keeps its lease alive with one refresh for all its streams', async () => {
    const a = replica();
    await a.acquire(ask('carol', 'j1'));
    await a.acquire(ask('dave', 'j1'));
    await redis.pexpire(lease(a), 1000); // as if the last refresh were 4 s ago
    await a.refresh();
    expect(await redis.pttl(lease(a))).toBeGreaterThan(LEASE_MS - 500);
  });

  it("stops counting a dead replica's slots once its lease is gone", async () => {
    const dead = replica();
    const alive = replica();
    expect(await dead.acquire(ask('erin', 'j1'))).not.toBeNull();
    expect(await dead.acquire(ask('erin', 'j2'))).not.toBeNull();
    await kill(dead, 300);
    expect(await alive.acquire(ask('erin', 'j3'))).toBeNull(); // its lease still runs
    await sleep(400);
    expect(await alive.acquire(ask('erin', 'j3'))).not.toBeNull();
    expect(await alive.acquire(ask('erin', 'j4'))).not.toBeNull();
    expect((await redis.zrange(key('erin'), 0, -1)).every((m) => m.startsWith(`${alive.replica}:`))).toBe(true); // the dead members were removed
  });

  it("lets a resume take over the same stream's slot of a replica that missed a refresh, one for one", async () => {
    const dead = replica();
    const other = replica();
    expect(await dead.acquire(ask('frank', 'j1'))).not.toBeNull();
    expect(await dead.acquire(ask('frank', 'j2'))).not.toBeNull();
    await kill(dead, LEASE_STALE_BELOW_MS - 500); // it missed a refresh, its lease has not run out yet
    expect(await other.acquire(ask('frank', 'j1'))).toBeNull(); // not a resume
    expect(await other.acquire(ask('frank', 'j3', true))).toBeNull(); // a resume of a stream it did not hold
    expect(await other.acquire(ask('frank', 'j1', true))).not.toBeNull(); // its own stream, reconnecting
    expect(await other.acquire(ask('frank', 'j1', true))).toBeNull(); // the dead slot was taken over once
    expect(await other.acquire(ask('frank', 'j2', true))).not.toBeNull();
    expect(await redis.zcard(key('frank'))).toBe(2);
  });

  it('takes over nothing from a replica that refreshes on time', async () => {
    const a = replica();
    const b = replica();
    expect(await a.acquire(ask('gina', 'j1'))).not.toBeNull();
    expect(await a.acquire(ask('gina', 'j2'))).not.toBeNull();
    await a.refresh();
    expect(await b.acquire(ask('gina', 'j1', true))).toBeNull(); // Last-Event-ID does not buy a third stream
  });

  it('a replica that was only slow counts its slots again on its next refresh', async () => {
    const slow = replica();
    const other = replica();
    expect(await slow.acquire(ask('hank', 'j1'))).not.toBeNull();
    expect(await slow.acquire(ask('hank', 'j2'))).not.toBeNull();
    await redis.pexpire(lease(slow), LEASE_STALE_BELOW_MS - 500);
    expect(await other.acquire(ask('hank', 'j1', true))).not.toBeNull(); // took slow's j1 over
    // slow's timer fires late (it stalled): it writes its members again
    (slow as unknown as { lastRefresh: number }).lastRefresh -= 3000;
    await slow.refresh();
    expect(await redis.zcard(key('hank'))).toBe(3); // over the cap until one closes: no new stream meanwhile
    expect(await other.acquire(ask('hank', 'j3'))).toBeNull();
  });

  it('a slot released while Redis is unusable is removed by the next refresh that reaches it', async () => {
    const circuit = new RedisCircuit(redis);
    const a = new StreamSlots(redis, config, circuit);
    replicas.push(a);
    const slot = await a.acquire(ask('jane', 'j1'));
    expect(await redis.zcard(key('jane'))).toBe(1);
    circuit.failed(); // Redis just failed: the circuit is open
    slot!.release();
    await sleep(50);
    expect(await redis.zcard(key('jane'))).toBe(1); // still counted (our lease lives)…
    circuit.succeeded();
    await a.refresh();
    expect(await redis.zcard(key('jane'))).toBe(0); // …until the refresh removes it
  });

  it('with Redis unreachable, decides at once and caps per replica; Redis learns of those slots when it is back', async () => {
    // A port nothing listens on: the connection is never ready.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const down = new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    down.connect().catch(() => undefined);
    const s = new StreamSlots(down, config, new RedisCircuit(down));
    const t0 = performance.now();
    const slots = [await s.acquire(ask('ivan', 'j1')), await s.acquire(ask('ivan', 'j2')), await s.acquire(ask('ivan', 'j3'))];
    expect(performance.now() - t0).toBeLessThan(50);
    expect(slots.map((x) => x !== null)).toEqual([true, true, false]);
    slots[0]!.release();
    expect(await s.acquire(ask('ivan', 'j3'))).not.toBeNull();
    await s.onModuleDestroy();
    down.disconnect();
  });
});
