import { describe, expect, it } from '@jest/globals';
import { deterministicPlan, parsePlan, validatePlan } from './planner';

const sub = (description: string, depends_on: number[] = [], tier_hint = 2) => ({ description, tier_hint, depends_on });

describe('deterministic planner', () => {
  it('"Search for X and Y, then summarize": two parallel searches, one summary depending on both', () => {
    const plan = deterministicPlan('Search for X and Y, then summarize', 8);
    expect(plan.planner).toBe('deterministic');
    expect(plan.subtasks).toEqual([sub('Search for X'), sub('Search for Y'), sub('summarize', [0, 1])]);
    expect(plan.reasoning).toMatch(/2 stage/);
  });

  it('stages on "after that", "finally", newlines and numbered items; every subtask depends on all of the previous stage', () => {
    const plan = deterministicPlan('1. collect prices, collect reviews\n2. compare them after that draft a memo and finally proofread it', 8);
    expect(plan.subtasks.map((s) => [s.description, s.depends_on])).toEqual([
      ['collect prices', []],
      ['collect reviews', []],
      ['compare them', [0, 1]],
      ['draft a memo', [2]],
      ['proofread it', [3]],
    ]);
  });

  it('a longer part keeps its own words; "and then" is one stage break', () => {
    const plan = deterministicPlan('Write a poem about the sea and translate it into French, and then rate both', 8);
    expect(plan.subtasks.map((s) => [s.description, s.depends_on])).toEqual([
      ['Write a poem about the sea', []],
      ['translate it into French', []],
      ['rate both', [0, 1]],
    ]);
  });

  it('one subtask for a prompt without separators; the reason given is kept', () => {
    const plan = deterministicPlan('Explain monads', 8, 'No model is configured.');
    expect(plan.subtasks).toEqual([sub('Explain monads')]);
    expect(plan.reasoning).toMatch(/^No model is configured\. Deterministic plan/);
  });

  it('never more than the maximum: stages are not split, then the last stages are merged', () => {
    const plan = deterministicPlan('a, b, c then d, e then f then g then h', 4);
    expect(plan.subtasks.length).toBeLessThanOrEqual(4);
    expect(plan.subtasks.map((s) => s.description)).toEqual(['a, b, c', 'd, e', 'f', 'g, then h']);
    expect(plan.subtasks.map((s) => s.depends_on)).toEqual([[], [0], [1], [2]]);
    const tiny = deterministicPlan('a then b then c', 1);
    expect(tiny.subtasks).toEqual([sub('a, then b, then c')]);
  });
});

describe('plan validation', () => {
  const good = { reasoning: 'r', subtasks: [sub('a', [], 1), sub('b', [], 3), sub('c', [1, 0, 0])] };

  it('accepts a plan within the limits (depends_on sorted, deduplicated), in a code fence too', () => {
    const check = parsePlan('```json\n' + JSON.stringify(good) + '\n```', 8);
    expect(check).toEqual({ ok: true, plan: { reasoning: 'r', subtasks: [sub('a', [], 1), sub('b', [], 3), sub('c', [0, 1])] } });
  });

  it.each([
    ['not JSON', 'not a JSON object'],
    ['[]', 'not a JSON object'],
    [JSON.stringify({ subtasks: [sub('a')] }), 'reasoning must be a string'],
    [JSON.stringify({ reasoning: 'r', subtasks: [] }), 'subtasks must have 1 to 3 entries (got 0)'],
    [JSON.stringify({ reasoning: 'r', subtasks: [sub('a'), sub('b'), sub('c'), sub('d')] }), 'subtasks must have 1 to 3 entries (got 4)'],
    [JSON.stringify({ reasoning: 'r', subtasks: [sub(' ')] }), 'subtasks[0].description must be a non-empty string'],
    [JSON.stringify({ reasoning: 'r', subtasks: [sub('a', [], 4)] }), 'subtasks[0].tier_hint must be 1, 2 or 3'],
    [JSON.stringify({ reasoning: 'r', subtasks: [sub('a', [0])] }), 'subtasks[0].depends_on may only name earlier subtasks (0…-1), got 0'],
    [JSON.stringify({ reasoning: 'r', subtasks: [sub('a'), sub('b', [1])] }), 'subtasks[1].depends_on may only name earlier subtasks (0…0), got 1'],
    [JSON.stringify({ reasoning: 'r', subtasks: [sub('a'), sub('b', [2]), sub('c')] }), 'subtasks[1].depends_on may only name earlier subtasks (0…0), got 2'],
  ])('refuses %s', (text, error) => {
    expect(parsePlan(text, 3)).toEqual({ ok: false, error });
  });

  it('a missing depends_on means none', () => {
    expect(validatePlan({ reasoning: '', subtasks: [{ description: 'a', tier_hint: 1 }] }, 8)).toEqual({
      ok: true,
      plan: { reasoning: '', subtasks: [sub('a', [], 1)] },
    });
  });
});
