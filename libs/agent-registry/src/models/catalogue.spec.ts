import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  costOf,
  loadModelCatalogue,
  ModelCatalogue,
  ModelCatalogueError,
  parseModelCatalogue,
  UnknownModelError,
  type ModelCatalogueSettings,
  type ModelSpec,
} from './catalogue';
import { estimatePromptTokens, estimateTokens } from './usage';

const settings: ModelCatalogueSettings = { baseUrl: 'http://llm.local/v1', apiKey: 'env-key', model: 'gpt-4o-mini', timeoutMs: 120_000 };

const YAML = `
default: medium
models:
  - name: small
    model: llama3.1:8b
    tier: 1
    price_input_per_m: 0.1
    price_output_per_m: 0.2
  - name: medium
    base_url: https://api.example.com/v1
    api_key_env: EXAMPLE_KEY
    tier: 2
    price_input_per_m: 2.5
    price_output_per_m: 10
    context_tokens: 128000
    timeout_ms: 30000
  - name: large
    tier: 3
    json_mode: false
    stream_usage: false
    max_tokens_field: max_completion_tokens
  - name: embed
    kind: embedding
    price_input_per_m: 0.02
`;

function spec(name: string, tier: 1 | 2 | 3, extra: Partial<ModelSpec> = {}): ModelSpec {
  return {
    name,
    kind: 'chat',
    model: name,
    baseUrl: 'http://x/v1',
    tier,
    priceInputPerM: 0,
    priceOutputPerM: 0,
    timeoutMs: 1000,
    jsonMode: true,
    streamUsage: true,
    maxTokensField: 'max_tokens',
    ...extra,
  };
}

/** The problems a bad file is reported with. */
function problemsOf(text: string, env: Record<string, string> = {}, format: 'yaml' | 'json' = 'yaml'): string {
  try {
    parseModelCatalogue(text, settings, env, format);
  } catch (err) {
    expect(err).toBeInstanceOf(ModelCatalogueError);
    return (err as Error).message;
  }
  throw new Error('expected the catalogue to be refused');
}

describe('model catalogue: the file', () => {
  it('parses YAML, applying the LLM_* defaults and reading api_key_env', () => {
    const c = parseModelCatalogue(YAML, settings, { EXAMPLE_KEY: 'secret' });
    expect(c.chatModels.map((m) => m.name)).toEqual(['small', 'medium', 'large']);
    expect(c.default.name).toBe('medium');
    expect(c.get('small')).toMatchObject({
      model: 'llama3.1:8b',
      baseUrl: 'http://llm.local/v1',
      apiKey: 'env-key',
      tier: 1,
      priceInputPerM: 0.1,
      priceOutputPerM: 0.2,
      timeoutMs: 120_000,
      jsonMode: true,
      streamUsage: true,
      maxTokensField: 'max_tokens',
    });
    expect(c.get('medium')).toMatchObject({
      model: 'medium',
      baseUrl: 'https://api.example.com/v1',
      apiKey: 'secret',
      contextTokens: 128000,
      timeoutMs: 30000,
    });
    expect(c.get('large')).toMatchObject({
      priceInputPerM: 0,
      priceOutputPerM: 0,
      jsonMode: false,
      streamUsage: false,
      maxTokensField: 'max_completion_tokens',
    });
    expect(c.defaultEmbedding).toMatchObject({ name: 'embed', kind: 'embedding', tier: 1, priceInputPerM: 0.02 });
    expect(c.all.map((m) => m.name)).toEqual(['small', 'medium', 'large', 'embed']);
  });

  it('parses JSON, and a bare list of models; the default is then the first listed', () => {
    const json = JSON.stringify({
      models: [
        { name: 'a', tier: 2 },
        { name: 'b', tier: 1, api_key: 'k' },
      ],
    });
    const c = parseModelCatalogue(json, settings, {}, 'json');
    expect(c.default.name).toBe('a');
    expect(c.get('b')?.apiKey).toBe('k');
    expect(parseModelCatalogue('- name: only\n  tier: 3\n', settings, {}).default).toMatchObject({ name: 'only', tier: 3 });
  });

  it('names every problem of a bad file at once', () => {
    const message = problemsOf(`
defualt: x
models:
  - name: a
    tier: 4
    price_input_per_m: -1
    price_output_per_m: "3"
    prices: 1
  - tier: 1
  - name: c
    tier: 1
    base_url: ftp://nope
    api_key_env: MISSING_KEY
    timeout_ms: 10
    kind: rerank
  - name: d
    tier: 2
    json_mode: "yes"
    context_tokens: 1.5
    max_tokens_field: tokens
`);
    for (const expected of [
      "unknown key 'defualt'",
      'models[0] (a).tier: must be 1, 2 or 3 (got 4)',
      'models[0] (a).price_input_per_m: must be a number ≥ 0',
      'models[0] (a).price_output_per_m: must be a number ≥ 0',
      'models[0] (a).prices: unknown key',
      'models[1].name: is required',
      "models[2] (c).base_url: must be an http(s) URL (got 'ftp://nope')",
      'models[2] (c).api_key_env: names MISSING_KEY, which is unset or empty',
      'models[2] (c).timeout_ms: must be an integer ≥ 1000',
      "models[2] (c).kind: must be 'chat' or 'embedding'",
      'models[3] (d).json_mode: must be true or false',
      'models[3] (d).context_tokens: must be an integer ≥ 1',
      "models[3] (d).max_tokens_field: must be 'max_tokens' or 'max_completion_tokens'",
    ])
      expect(message).toContain(expected);
  });

  it('refuses what makes no catalogue: no list, duplicates, a default that is not there, no chat model, bad syntax', () => {
    expect(problemsOf('models: []')).toContain('models: must be a non-empty list');
    expect(problemsOf('just text')).toContain('must be a mapping with a `models` list');
    expect(problemsOf('models:\n  - {name: a, tier: 1}\n  - {name: a, tier: 2}\n')).toContain("model 'a' is listed twice");
    expect(problemsOf('default: zz\nmodels:\n  - {name: a, tier: 1}\n')).toContain("default: 'zz' is not a chat model");
    expect(problemsOf('default: e\nmodels:\n  - {name: a, tier: 1}\n  - {name: e, kind: embedding}\n')).toContain("default: 'e' is not a chat model");
    expect(problemsOf('models:\n  - {name: e, kind: embedding}\n')).toContain('no chat model is listed');
    expect(problemsOf('models:\n  - {name: a}\n')).toContain('models[0] (a).tier: is required');
    expect(problemsOf('models: [ {name: a')).toMatch(/not valid YAML/);
    expect(problemsOf('{"models": [', {}, 'json')).toMatch(/not valid JSON/);
  });

  it('requires a base URL when LLM_BASE_URL is unset', () => {
    expect(() => parseModelCatalogue('models:\n  - {name: a, tier: 1}\n', { ...settings, baseUrl: undefined })).toThrow(
      'models[0] (a).base_url: is required (LLM_BASE_URL, its default, is unset)',
    );
  });

  it('loads LLM_MODELS_FILE, naming the file in its errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    const good = join(dir, 'models.yaml');
    writeFileSync(good, 'models:\n  - {name: a, tier: 2}\n');
    expect(loadModelCatalogue({ ...settings, modelsFile: good })?.default.name).toBe('a');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ models: [{ name: 'a', tier: 0 }] }));
    expect(() => loadModelCatalogue({ ...settings, modelsFile: bad })).toThrow(
      `LLM_MODELS_FILE=${bad}: invalid model catalogue:\n  models[0] (a).tier: must be 1, 2 or 3 (got 0)`,
    );
    expect(() => loadModelCatalogue({ ...settings, modelsFile: join(dir, 'none.yaml') })).toThrow(/none\.yaml: cannot be read \(ENOENT\)/);
  });

  it('without a file: LLM_MODEL on LLM_BASE_URL is a one-model catalogue, priced by LLM_PRICE_*; no base URL is no catalogue', () => {
    const c = loadModelCatalogue({ ...settings, priceInputPerM: 1, priceOutputPerM: 3 })!;
    expect(c.all).toEqual([
      {
        name: 'gpt-4o-mini',
        kind: 'chat',
        model: 'gpt-4o-mini',
        baseUrl: 'http://llm.local/v1',
        apiKey: 'env-key',
        tier: 1,
        priceInputPerM: 1,
        priceOutputPerM: 3,
        timeoutMs: 120_000,
        jsonMode: true,
        streamUsage: true,
        maxTokensField: 'max_tokens',
      },
    ]);
    expect(c.forTier(3).name).toBe('gpt-4o-mini');
    expect(c.defaultEmbedding).toBeNull();
    expect(loadModelCatalogue({ ...settings, baseUrl: undefined })).toBeNull();
  });

  it('takes the embedding model from EMBEDDINGS_* when the file lists none', () => {
    const embeddings = { baseUrl: 'http://emb.local/v1', model: 'nomic-embed-text' };
    expect(loadModelCatalogue({ ...settings, embeddings })?.defaultEmbedding).toMatchObject({
      name: 'nomic-embed-text',
      kind: 'embedding',
      baseUrl: 'http://emb.local/v1',
    });
    expect(parseModelCatalogue('models:\n  - {name: a, tier: 1}\n', { ...settings, embeddings }, {}).defaultEmbedding?.name).toBe('nomic-embed-text');
    expect(parseModelCatalogue(YAML, { ...settings, embeddings }, { EXAMPLE_KEY: 'k' }).embeddingModels.map((m) => m.name)).toEqual(['embed']);
  });
});

describe('model catalogue: lookup', () => {
  it('finds by name, and refuses unknown names listing the known ones', () => {
    const c = new ModelCatalogue([spec('a', 1), spec('e', 1, { kind: 'embedding' })]);
    expect(c.get('a')?.name).toBe('a');
    expect(c.get('zz')).toBeUndefined();
    expect(() => c.require('zz')).toThrow(new UnknownModelError("unknown chat model 'zz' (the catalogue has: a)"));
    expect(() => c.require('e')).toThrow(UnknownModelError);
    expect(c.require('e', 'embedding').name).toBe('e');
  });

  it('forTier: the model of that tier, else the nearest, a tie going to the stronger one', () => {
    const c = new ModelCatalogue([spec('cheap', 1), spec('cheap2', 1), spec('best', 3)]);
    expect(c.forTier(1).name).toBe('cheap'); // the first listed of the tier
    expect(c.forTier(3).name).toBe('best');
    expect(c.forTier(2).name).toBe('best'); // 1 and 3 equally near
    expect(c.forTier(0).name).toBe('cheap'); // clamped
    expect(c.forTier(9).name).toBe('best');
    expect(new ModelCatalogue([spec('mid', 2), spec('cheap', 1)]).forTier(3).name).toBe('mid');
    expect(new ModelCatalogue([spec('a', 2), spec('b', 2)], { chat: 'b' }).forTier(2).name).toBe('b'); // the default, when it has the tier
  });
});

describe('cost and counted usage', () => {
  it('is usage × the prices per million tokens', () => {
    const s = spec('m', 1, { priceInputPerM: 2.5, priceOutputPerM: 10 });
    expect(costOf(s, { prompt_tokens: 1_000_000, completion_tokens: 0 })).toBe(2.5);
    expect(costOf(s, { prompt_tokens: 1200, completion_tokens: 300 })).toBe(0.006);
    expect(costOf(s, { prompt_tokens: 1, completion_tokens: 1 })).toBe(0.0000125);
    expect(costOf(spec('free', 1), { prompt_tokens: 5000, completion_tokens: 5000 })).toBe(0);
    const c = new ModelCatalogue([s]);
    expect(c.cost('m', { prompt_tokens: 0, completion_tokens: 100_000 })).toBe(1);
    expect(() => c.cost('zz', { prompt_tokens: 1, completion_tokens: 1 })).toThrow(UnknownModelError);
  });

  it('counts about four characters per token, plus four per message', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(
      estimatePromptTokens([
        { role: 'system', content: 'x'.repeat(40) },
        { role: 'user', content: 'hi' },
      ]),
    ).toBe(10 + 4 + 1 + 4);
  });
});
