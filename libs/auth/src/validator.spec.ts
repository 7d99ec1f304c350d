import { describe, expect, it } from '@jest/globals';
import { ANONYMOUS } from '@platform/contracts';
import { firstPrincipal, ValidatorUnavailableError } from './validator';
import { withClarifierPolicy } from './principal-policy';
import { ApiKeyValidator, hashApiKey } from './api-keys';
import { JwtValidator } from './jwt.validator';

describe('validator chain', () => {
  it('first non-null wins; a broken validator only matters when nobody accepts', async () => {
    const broken = { validate: () => Promise.reject(new Error('down')) };
    const no = { validate: () => null };
    const yes = { validate: () => ({ type: 'x', sub: 'u' }) };
    expect(await firstPrincipal([no, broken, yes], 't')).toEqual({ type: 'x', sub: 'u' });
    expect(await firstPrincipal([no], 't')).toBeNull();
    await expect(firstPrincipal([no, broken], 't')).rejects.toBeInstanceOf(ValidatorUnavailableError);
  });
});

describe('clarifier policy', () => {
  it('marks anonymous, API keys and headless callers non-interactive', () => {
    expect(withClarifierPolicy(ANONYMOUS, false).skip_clarifier).toBe(true);
    expect(withClarifierPolicy({ type: 'api_key', sub: 'k' }, false).skip_clarifier).toBe(true);
    expect(withClarifierPolicy({ type: 'jwt', sub: 'u' }, false).skip_clarifier).toBe(false);
    expect(withClarifierPolicy({ type: 'jwt', sub: 'u' }, true).skip_clarifier).toBe(true);
  });
});

describe('ApiKeyValidator', () => {
  it('looks keys up by hash, caches them, ignores other tokens', async () => {
    let lookups = 0;
    const key = `aiqk_${'a'.repeat(16)}_${'B'.repeat(43)}`;
    const v = new ApiKeyValidator({
      lookup: async (k: string) => {
        lookups++;
        return k === key ? { id: 'a'.repeat(16), name: 'ci', sub: 'ci', created_at: '' } : null;
      },
    });
    expect(await v.validate(key)).toMatchObject({ type: 'api_key', sub: 'ci', skip_clarifier: true });
    expect(await v.validate(key)).toMatchObject({ sub: 'ci' });
    expect(lookups).toBe(1);
    expect(await v.validate('eyJ.a.b')).toBeNull();
    expect(hashApiKey(key)).toMatch(/^[a-f0-9]{64}$/);
  });
});

describe('JwtValidator configuration', () => {
  it('refuses symmetric and none algorithms and a missing audience', () => {
    expect(() => new JwtValidator({ issuer: 'https://i', audience: 'a', algorithms: ['HS256' as never] })).toThrow(/asymmetric/);
    expect(() => new JwtValidator({ issuer: 'https://i', audience: 'a', algorithms: ['none' as never] })).toThrow(/asymmetric/);
    expect(() => new JwtValidator({ issuer: 'https://i', audience: '' })).toThrow(/audience/);
  });
  it('answers null for tokens that are not JWTs without any network call', async () => {
    const v = new JwtValidator({ issuer: 'https://i.invalid', audience: 'a', jwksUri: 'https://i.invalid/jwks' });
    expect(await v.validate('aiqk_whatever')).toBeNull();
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
    expect(await v.validate(none)).toBeNull();
  });
});
