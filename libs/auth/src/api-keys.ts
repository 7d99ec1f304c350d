import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Principal } from '@platform/contracts';
import type { TokenValidator } from './validator';

/** Every key starts with this, so the validator can skip other tokens (JWTs) without a Redis round trip. */
export const API_KEY_PREFIX = 'aiqk_';
const API_KEY_SHAPE = /^aiqk_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;
const NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** Owner id of everything created with the key (defaults to the name; share it across a rotation). */
  sub: string;
  created_at: string;
}

/**
 * SHA-256 of the whole key. Keys carry 256 random bits, so a fast hash is enough: there is nothing to
 * brute-force that a slow hash would protect (unlike passwords).
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * API keys in Redis, stored only as hashes. The gateway owns no database, and Redis is already what
 * its replicas share; keys are created and revoked with the `apikey` CLI.
 *
 *   <prefix>apikey:<sha256>   hash {id, name, sub, created_at}   — the lookup a request makes
 *   <prefix>apikeys           hash id → JSON {hash, name, sub, created_at} — listing and revocation
 */
export class ApiKeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'gw:',
  ) {}

  private byHash(hash: string): string {
    return `${this.prefix}apikey:${hash}`;
  }
  private get index(): string {
    return `${this.prefix}apikeys`;
  }

  /** Creates a key and returns it with its record. The plain key exists only in this return value. */
  async create(name: string, sub = name): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!NAME_SHAPE.test(name)) throw new Error('name must be 1-64 characters: letters, digits, . _ - (starting with a letter or digit)');
    if (!sub || sub.length > 255) throw new Error('sub must be 1-255 characters');
    if ((await this.list()).some((r) => r.name === name)) throw new Error(`an API key named '${name}' already exists (revoke it first)`);
    const id = randomBytes(8).toString('hex');
    const key = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
    const hash = hashApiKey(key);
    const record: ApiKeyRecord = { id, name, sub, created_at: new Date().toISOString() };
    await this.redis
      .multi()
      .hset(this.byHash(hash), { ...record })
      .hset(this.index, id, JSON.stringify({ hash, name, sub, created_at: record.created_at }))
      .exec();
    return { key, record };
  }

  async list(): Promise<ApiKeyRecord[]> {
    const all = await this.redis.hgetall(this.index);
    return Object.entries(all)
      .map(([id, json]) => {
        const r = JSON.parse(json) as Omit<ApiKeyRecord, 'id'>;
        return { id, name: r.name, sub: r.sub, created_at: r.created_at };
      })
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Revokes by id or name; answers the revoked records (none when nothing matched). */
  async revoke(idOrName: string): Promise<ApiKeyRecord[]> {
    const all = await this.redis.hgetall(this.index);
    const revoked: ApiKeyRecord[] = [];
    for (const [id, json] of Object.entries(all)) {
      const r = JSON.parse(json) as Omit<ApiKeyRecord, 'id'> & { hash: string };
      if (id !== idOrName && r.name !== idOrName) continue;
      await this.redis.multi().del(this.byHash(r.hash)).hdel(this.index, id).exec();
      revoked.push({ id, name: r.name, sub: r.sub, created_at: r.created_at });
    }
    return revoked;
  }

  async lookup(key: string): Promise<ApiKeyRecord | null> {
    if (!API_KEY_SHAPE.test(key)) return null;
    const r = await this.redis.hgetall(this.byHash(hashApiKey(key)));
    if (!r.id || !r.sub) return null;
    return { id: r.id, name: r.name, sub: r.sub, created_at: r.created_at };
  }
}

export interface ApiKeyValidatorOptions {
  /** How long a found key is trusted without asking Redis (revocation takes at most this long to apply). */
  cacheTtlMs?: number;
  /** How long an unknown key is remembered as unknown. */
  negativeCacheTtlMs?: number;
  maxCacheEntries?: number;
}

/** `Authorization: Bearer aiqk_…` → `{type: 'api_key', sub, key_id, name}`, with an in-process TTL cache. */
export class ApiKeyValidator implements TokenValidator {
  readonly name = 'api_key';
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();
  private readonly ttl: number;
  private readonly negativeTtl: number;
  private readonly maxEntries: number;

  constructor(
    private readonly store: Pick<ApiKeyStore, 'lookup'>,
    options: ApiKeyValidatorOptions = {},
  ) {
    this.ttl = options.cacheTtlMs ?? 30_000;
    this.negativeTtl = options.negativeCacheTtlMs ?? 5_000;
    this.maxEntries = options.maxCacheEntries ?? 10_000;
  }

  async validate(token: string): Promise<Principal | null> {
    if (!token.startsWith(API_KEY_PREFIX)) return null;
    if (!API_KEY_SHAPE.test(token)) return null;
    const hash = hashApiKey(token); // the cache never holds plain keys either
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.principal;
    const record = await this.store.lookup(token);
    const principal: Principal | null = record ? { type: 'api_key', sub: record.sub, key_id: record.id, name: record.name, skip_clarifier: true } : null;
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(hash, { principal, until: now + (principal ? this.ttl : this.negativeTtl) });
    return principal;
  }
}
