import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { GatewayConfig } from '../config';
import { GATEWAY_REDIS, RedisCircuit } from './redis.provider';

/**
 * A replica's lease: its slots count while this key lives. Refreshed every LEASE_REFRESH_MS, so a
 * replica that dies (kill -9, a lost node) stops counting within LEASE_MS.
 */
export const LEASE_MS = 5000;
export const LEASE_REFRESH_MS = 1000;
/**
 * A lease with less than this left has missed a refresh by a second or more (a live replica's never
 * drops below LEASE_MS - LEASE_REFRESH_MS): a resume may take over a slot of that replica at once.
 * A browser reconnects SSE_RETRY_MS (3 s) after a gateway died, when its lease is below this.
 */
export const LEASE_STALE_BELOW_MS = LEASE_MS - 2 * LEASE_REFRESH_MS;
/** A caller's slot set outlives its last refresh by this much (its members are then all dead). */
const SET_TTL_MS = 10 * 60_000;
/** Every this many lease refreshes, the slot sets and members this replica holds are written again. */
const SET_TTL_EVERY = 60;

/**
 * Members are `<replica>:<nonce>:<stream>`; a member counts while its replica's lease key exists.
 * KEYS[1] = the caller's slot set.
 * ARGV = lease key prefix, this replica, max, new member, now, lease ms, set ttl ms,
 *        stream, resume (1/0), stale-below ms.
 * Returns 1 (a free slot), 2 (took over a stale replica's slot of the same stream) or 0 (full).
 * The lease keys it reads are not in KEYS: fine on one Redis (or Sentinel), not on Redis Cluster.
 */
const ACQUIRE = `
local prefix, self, max = ARGV[1], ARGV[2], tonumber(ARGV[3])
redis.call('SET', prefix .. self, '1', 'PX', ARGV[6])
local leases, live, stale = {}, 0, nil
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local a = string.find(m, ':', 1, true)
  local replica = string.sub(m, 1, a - 1)
  local ttl = leases[replica]
  if ttl == nil then
    ttl = redis.call('PTTL', prefix .. replica)
    leases[replica] = ttl
  end
  if ttl == -2 then
    redis.call('ZREM', KEYS[1], m)
  else
    live = live + 1
    if stale == nil and ARGV[9] == '1' and replica ~= self and ttl >= 0 and ttl < tonumber(ARGV[10]) then
      local b = string.find(m, ':', a + 1, true)
      if string.sub(m, b + 1) == ARGV[8] then stale = m end
    end
  end
end
local granted = 1
if live >= max then
  if stale == nil then return 0 end
  redis.call('ZREM', KEYS[1], stale)
  granted = 2
end
redis.call('ZADD', KEYS[1], ARGV[5], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return granted`;

export interface StreamSlot {
  release(): void;
}

export interface SlotRequest {
  /** The caller (see callerKey). */
  caller: string;
  /** What is streamed (a job id): a resume may take over a dead replica's slot of the same stream only. */
  stream: string;
  /** A reconnect that carries `Last-Event-ID`. */
  resume: boolean;
}

interface Held {
  key: string;
  caller: string;
  member: string;
}

/**
 * Concurrent SSE streams per caller, counted across replicas in one Redis sorted set per caller.
 *
 * - A slot is a member naming its replica; it counts while that replica's lease key lives. One timer
 *   per replica refreshes the lease (one command, however many streams), so the slots of a replica
 *   that was killed stop counting within LEASE_MS (5 s), and its members are removed by the next
 *   acquire that sees them.
 * - A resume (`Last-Event-ID`) over the cap may take over a slot of the same caller and the same
 *   stream held by a replica whose lease missed a refresh: an EventSource whose gateway died gets its
 *   slot back as soon as it reconnects. One dead slot for one new one, so a client cannot collect
 *   streams by sending `Last-Event-ID`; and a replica that was only slow re-adds its members on its
 *   next refresh.
 * - Redis work per stream: one script to acquire, one ZREM to release.
 * - Redis unusable (RedisCircuit): fail open to a per-replica cap. The slot is granted if this
 *   replica holds fewer than the cap for the caller, counted here, and written to Redis when it is
 *   back. Refusing every stream while Redis is down would turn a limit into an outage, and the
 *   per-caller rate limit (in memory then) still bounds how fast streams are opened.
 */
@Injectable()
export class StreamSlots implements OnModuleDestroy {
  private readonly logger = new Logger(StreamSlots.name);
  /** This replica's id in member names and its lease key. */
  readonly replica = randomBytes(6).toString('hex');
  /** This replica's open slots (member → where), whether Redis has them or not. */
  private readonly held = new Map<string, Held>();
  /** This replica's open slots per caller: the cap while Redis is unusable. */
  private readonly perCaller = new Map<string, number>();
  /** Slots released while Redis was unusable (member → set): removed by the next refresh that reaches it. */
  private readonly unreleased = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private ticks = 0;
  /** Redis may be missing some held members (a refresh or an acquire failed): the next refresh re-adds them. */
  private resync = false;
  private lastRefresh = 0;

  constructor(
    @Inject(GATEWAY_REDIS) private readonly redis: Redis,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    private readonly circuit: RedisCircuit,
  ) {}

  get max(): number {
    return this.config.MAX_STREAMS_PER_CALLER;
  }

  private get leaseKey(): string {
    return `${this.leasePrefix}${this.replica}`;
  }

  private get leasePrefix(): string {
    return `${this.config.REDIS_KEY_PREFIX}streams-lease:`;
  }

  /** A slot, or null when the caller already holds MAX_STREAMS_PER_CALLER streams. */
  async acquire(req: SlotRequest): Promise<StreamSlot | null> {
    const key = `${this.config.REDIS_KEY_PREFIX}streams:${req.caller}`;
    const member = `${this.replica}:${randomUUID()}:${req.stream}`;
    const granted = await this.circuit.run(
      (redis) =>
        redis.eval(
          ACQUIRE,
          1,
          key,
          this.leasePrefix,
          this.replica,
          this.max,
          member,
          Date.now(),
          LEASE_MS,
          SET_TTL_MS,
          req.stream,
          req.resume ? 1 : 0,
          LEASE_STALE_BELOW_MS,
        ),
      (err) => {
        if (err) this.logger.warn(`stream cap counted per replica (redis: ${err.message})`);
        return null;
      },
    );
    if (granted === 0) return null;
    if (granted === null) {
      // Redis unusable: this replica's own count decides, and Redis learns of the slot when it is back.
      if ((this.perCaller.get(req.caller) ?? 0) >= this.max) return null;
      this.resync = true;
    }
    this.hold(member, { key, caller: req.caller, member });
    return {
      release: () => {
        if (!this.unhold(member)) return;
        const later = () => {
          // Not removed (Redis unusable): our lease keeps it counted, so the next good refresh removes it.
          this.unreleased.set(member, key);
          this.keepTicking();
        };
        if (!this.circuit.allow()) return later();
        this.redis.zrem(key, member).then(
          () => this.circuit.succeeded(),
          () => {
            this.circuit.failed();
            later();
          },
        );
      },
    };
  }

  private hold(member: string, h: Held): void {
    this.held.set(member, h);
    this.perCaller.set(h.caller, (this.perCaller.get(h.caller) ?? 0) + 1);
    this.keepTicking();
  }

  /** The refresh timer runs while this replica holds slots or owes Redis a removal. */
  private keepTicking(): void {
    if (this.held.size === 0 && this.unreleased.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    } else if (!this.timer) {
      this.lastRefresh = Date.now();
      this.timer = setInterval(() => void this.refresh(), LEASE_REFRESH_MS);
      this.timer.unref();
    }
  }

  private unhold(member: string): boolean {
    const h = this.held.get(member);
    if (!h) return false;
    this.held.delete(member);
    const n = (this.perCaller.get(h.caller) ?? 1) - 1;
    if (n > 0) this.perCaller.set(h.caller, n);
    else this.perCaller.delete(h.caller);
    this.keepTicking();
    return true;
  }

  /**
   * Extends this replica's lease, in one round trip: one command, plus the removals Redis missed, plus,
   * after a failure or a late tick and every SET_TTL_EVERY ticks anyway, every held member again and
   * the TTL of its set (ZADD NX: a slot a resume took over, or that was written nowhere while Redis
   * was down, counts again).
   */
  async refresh(): Promise<void> {
    if (this.held.size === 0 && this.unreleased.size === 0) return;
    const now = Date.now();
    // Late (a stalled event loop, a slow Redis): a resume may have taken one of our slots over as stale.
    if (now - this.lastRefresh > 1.5 * LEASE_REFRESH_MS) this.resync = true;
    if (!this.circuit.allow()) {
      this.resync = true;
      return;
    }
    // Now and then in any case, so whatever went unnoticed is repaired within a minute.
    const periodic = ++this.ticks % SET_TTL_EVERY === 0;
    const resync = this.resync || periodic;
    this.resync = false;
    const pipeline = this.redis.pipeline().set(this.leaseKey, '1', 'PX', LEASE_MS);
    const removing = [...this.unreleased];
    for (const [member, key] of removing) pipeline.zrem(key, member);
    if (resync) {
      for (const h of this.held.values()) pipeline.zadd(h.key, 'NX', now, h.member);
      for (const key of new Set([...this.held.values()].map((h) => h.key))) pipeline.pexpire(key, SET_TTL_MS);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err)?.[0];
      if (failed) throw failed;
      this.circuit.succeeded();
      this.lastRefresh = Date.now();
      for (const [member] of removing) this.unreleased.delete(member);
      this.keepTicking();
    } catch (err) {
      this.circuit.failed();
      this.resync = true;
      this.logger.warn(`stream slots not refreshed (redis: ${(err as Error).message})`);
    }
  }

  /** A stopping replica's slots stop counting at once (its streams are being closed anyway). */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.held.size === 0 || !this.circuit.allow()) return;
    await this.redis.del(this.leaseKey).then(
      () => this.circuit.succeeded(),
      () => this.circuit.failed(),
    );
  }
}
