import { describe, expect, it } from '@jest/globals';
import { andTsQuery, normalize, orTsQuery, pgFloatArray, reciprocalRankFusion } from './ranking';

describe('ranking helpers', () => {
  it('builds an OR tsquery of words only, so no input can break to_tsquery', () => {
    expect(orTsQuery("What's tidal energy? It's 2024!")).toBe("'what' | 's' | 'tidal' | 'energy' | 'it' | '2024'");
    expect(orTsQuery("')|(&!:*")).toBeNull();
    expect(orTsQuery('   ')).toBeNull();
    expect(andTsQuery('tidal energy')).toBe("'tidal' & 'energy'");
    expect(orTsQuery('Ünïcode wörds')).toBe("'ünïcode' | 'wörds'");
  });

  it('fuses rankings by reciprocal rank', () => {
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['c', 'a'],
    ]);
    const order = [...fused.entries()].sort((x, y) => y[1] - x[1]).map(([k]) => k);
    expect(order).toEqual(['a', 'c', 'b']);
    expect(fused.get('a')).toBeCloseTo(1 / 61 + 1 / 62);
  });

  it('normalises vectors and formats float4[] literals', () => {
    const v = normalize([3, 4]);
    expect(v[0]).toBeCloseTo(0.6);
    expect(v[1]).toBeCloseTo(0.8);
    expect(normalize([0, 0])).toEqual([0, 0]);
    expect(pgFloatArray([1, NaN, 0.5])).toBe('{1,0,0.5}');
  });
});
