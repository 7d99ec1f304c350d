import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';

export type ModelTier = 1 | 2 | 3;
export const MODEL_TIERS: readonly ModelTier[] = [1, 2, 3];

/** One entry of the catalogue, resolved (defaults applied, secrets read). */
export interface ModelSpec {
  /** The catalogue's name for it, unique: what agents and `COUNCIL_MEMBERS` ask for. */
  name: string;
  kind: 'chat' | 'embedding';
  /** The model id sent to the server (`name` unless the file says otherwise). */
  model: string;
  baseUrl: string;
  apiKey?: string;
  /** 1 cheap/fast … 3 strongest (embedding models: 1). */
  tier: ModelTier;
  /** Price per million prompt (input) tokens, in the catalogue's currency (USD in the examples). */
  priceInputPerM: number;
  /** Price per million completion (output) tokens. */
  priceOutputPerM: number;
  /** Context window in tokens, when known (informational: callers trim prompts with it). */
  contextTokens?: number;
  /** HTTP timeout of one request (for a stream: until its response starts), ms. */
  timeoutMs: number;
  /** Send `response_format: {type: "json_object"}` when JSON is asked for (else only the prompt asks). */
  jsonMode: boolean;
  /** Send `stream_options: {include_usage: true}` on streams (some older servers reject it). */
  streamUsage: boolean;
  /** Which request field carries the output limit (OpenAI's newer models want `max_completion_tokens`). */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** What the catalogue is built from besides the file: the job-runner's `LLM_*` / `EMBEDDINGS_*` settings. */
export interface ModelCatalogueSettings {
  /** `LLM_MODELS_FILE`: YAML or JSON (by extension `.json`, else YAML). */
  modelsFile?: string;
  /** `LLM_BASE_URL`: the file's default server; alone (with `model`) a one-model catalogue. */
  baseUrl?: string;
  apiKey?: string;
  /** `LLM_MODEL`: the one model when there is no file. */
  model: string;
  timeoutMs: number;
  priceInputPerM?: number;
  priceOutputPerM?: number;
  /** `EMBEDDINGS_*`: an embedding model when the file lists none. */
  embeddings?: { baseUrl?: string; apiKey?: string; model?: string };
}

/** A catalogue that cannot be used. The message names the file and every problem in it. */
export class ModelCatalogueError extends Error {
  override name = 'ModelCatalogueError';
}

/** A model name the catalogue does not have (a caller's mistake, not a configuration one). */
export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
}

/**
 * The models agents may call: lookup by name or tier, the default, and what a call cost. Immutable and
 * free of I/O; `Models` (models.ts) does the calling.
 */
export class ModelCatalogue {
  private readonly byName: Map<string, ModelSpec>;
  /** Chat models in file order. */
  readonly chatModels: readonly ModelSpec[];
  readonly embeddingModels: readonly ModelSpec[];
  /** The model used when a caller names none (and behind `AgentContext.llm`). */
  readonly default: ModelSpec;
  /** The embedding model used when a caller names none; null when none is configured. */
  readonly defaultEmbedding: ModelSpec | null;

  constructor(specs: readonly ModelSpec[], defaults: { chat?: string; embedding?: string } = {}) {
    const problems = checkSpecs(specs, defaults);
    if (problems.length) throw new ModelCatalogueError(`Invalid model catalogue:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.byName = new Map(specs.map((s) => [s.name, s]));
    this.chatModels = specs.filter((s) => s.kind === 'chat');
    this.embeddingModels = specs.filter((s) => s.kind === 'embedding');
    this.default = defaults.chat ? this.byName.get(defaults.chat)! : this.chatModels[0];
    this.defaultEmbedding = defaults.embedding ? this.byName.get(defaults.embedding)! : (this.embeddingModels[0] ?? null);
  }

  /** Every model, chat ones first. */
  get all(): readonly ModelSpec[] {
    return [...this.chatModels, ...this.embeddingModels];
  }

  get(name: string): ModelSpec | undefined {
    return this.byName.get(name);
  }

  /** The named model, or throws `UnknownModelError` listing the known ones. */
  require(name: string, kind: ModelSpec['kind'] = 'chat'): ModelSpec {
    const spec = this.byName.get(name);
    if (!spec || spec.kind !== kind) {
      const known = (kind === 'chat' ? this.chatModels : this.embeddingModels).map((s) => s.name).join(', ') || 'none';
      throw new UnknownModelError(`unknown ${kind} model '${name}' (the catalogue has: ${known})`);
    }
    return spec;
  }

  /**
   * The chat model of tier `tier` (the first listed, or the default when it has that tier); else the
   * nearest tier, a tie going to the stronger model (a hint asks for at least that much). Out-of-range
   * tiers are clamped to 1…3.
   */
  forTier(tier: number): ModelSpec {
    const wanted = Math.min(3, Math.max(1, Math.round(Number.isFinite(tier) ? tier : 1)));
    let best: ModelSpec | undefined;
    for (const spec of [this.default, ...this.chatModels]) {
      if (!best) {
        best = spec;
        continue;
      }
      const d = Math.abs(spec.tier - wanted);
      const bestD = Math.abs(best.tier - wanted);
      if (d < bestD || (d === bestD && spec.tier > best.tier)) best = spec;
    }
    return best!;
  }

  /** The cost of a call: usage × the model's prices per million tokens. */
  cost(model: string | ModelSpec, usage: TokenUsage): number {
    const spec = typeof model === 'string' ? this.byName.get(model) : model;
    if (!spec) throw new UnknownModelError(`unknown model '${String(model)}'`);
    return costOf(spec, usage);
  }
}

/** usage × prices per million, rounded to 1e-10 so sums of small costs do not print float noise. */
export function costOf(spec: Pick<ModelSpec, 'priceInputPerM' | 'priceOutputPerM'>, usage: TokenUsage): number {
  const raw = (usage.prompt_tokens * spec.priceInputPerM + usage.completion_tokens * spec.priceOutputPerM) / 1_000_000;
  return Math.round(raw * 1e10) / 1e10;
}

function checkSpecs(specs: readonly ModelSpec[], defaults: { chat?: string; embedding?: string }): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) problems.push(`model '${s.name}' is listed twice (names must be unique)`);
    seen.add(s.name);
  }
  const chat = specs.filter((s) => s.kind === 'chat');
  if (chat.length === 0) problems.push('no chat model is listed (at least one entry without kind: embedding is needed)');
  if (defaults.chat !== undefined && !chat.some((s) => s.name === defaults.chat))
    problems.push(`default: '${defaults.chat}' is not a chat model of the catalogue`);
  if (defaults.embedding !== undefined && !specs.some((s) => s.kind === 'embedding' && s.name === defaults.embedding))
    problems.push(`default_embedding: '${defaults.embedding}' is not an embedding model of the catalogue`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// The file

const ENTRY_KEYS = [
  'name',
  'kind',
  'model',
  'base_url',
  'api_key',
  'api_key_env',
  'tier',
  'price_input_per_m',
  'price_output_per_m',
  'context_tokens',
  'timeout_ms',
  'json_mode',
  'stream_usage',
  'max_tokens_field',
] as const;
const TOP_KEYS = ['default', 'default_embedding', 'models'] as const;

/**
 * The catalogue the settings describe: the file's when `LLM_MODELS_FILE` is set, else a one-model
 * catalogue of `LLM_MODEL` on `LLM_BASE_URL`, else null (no model configured). Throws
 * `ModelCatalogueError` naming the file and each problem, so a bad file stops the service at start-up.
 * `env` resolves `api_key_env`.
 */
export function loadModelCatalogue(settings: ModelCatalogueSettings, env: Record<string, string | undefined> = process.env): ModelCatalogue | null {
  if (settings.modelsFile) {
    let text: string;
    try {
      text = readFileSync(settings.modelsFile, 'utf8');
    } catch (err) {
      throw new ModelCatalogueError(
        `LLM_MODELS_FILE=${settings.modelsFile}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    try {
      return parseModelCatalogue(text, settings, env, extname(settings.modelsFile).toLowerCase() === '.json' ? 'json' : 'yaml');
    } catch (err) {
      if (err instanceof ModelCatalogueError) throw new ModelCatalogueError(`LLM_MODELS_FILE=${settings.modelsFile}: ${err.message}`);
      throw err;
    }
  }
  if (!settings.baseUrl) return null;
  const specs: ModelSpec[] = [
    {
      name: settings.model,
      kind: 'chat',
      model: settings.model,
      baseUrl: settings.baseUrl,
      apiKey: settings.apiKey || undefined,
      tier: 1,
      priceInputPerM: settings.priceInputPerM ?? 0,
      priceOutputPerM: settings.priceOutputPerM ?? 0,
      timeoutMs: settings.timeoutMs,
      jsonMode: true,
      streamUsage: true,
      maxTokensField: 'max_tokens',
    },
  ];
  const emb = envEmbedding(settings);
  if (emb && emb.name !== settings.model) specs.push(emb);
  return new ModelCatalogue(specs);
}

function envEmbedding(settings: ModelCatalogueSettings): ModelSpec | null {
  const e = settings.embeddings;
  if (!e?.baseUrl || !e.model) return null;
  return {
    name: e.model,
    kind: 'embedding',
    model: e.model,
    baseUrl: e.baseUrl,
    apiKey: e.apiKey || undefined,
    tier: 1,
    priceInputPerM: 0,
    priceOutputPerM: 0,
    timeoutMs: settings.timeoutMs,
    jsonMode: false,
    streamUsage: false,
    maxTokensField: 'max_tokens',
  };
}

/** Parses and validates a catalogue file's text; every problem is collected before throwing. */
export function parseModelCatalogue(
  text: string,
  settings: Omit<ModelCatalogueSettings, 'modelsFile'>,
  env: Record<string, string | undefined> = process.env,
  format: 'yaml' | 'json' = 'yaml',
): ModelCatalogue {
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ModelCatalogueError(`not valid ${format.toUpperCase()}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (Array.isArray(doc)) doc = { models: doc };
  if (!isRecord(doc)) throw new ModelCatalogueError('must be a mapping with a `models` list (or a list of models)');

  const problems: string[] = [];
  for (const key of Object.keys(doc)) if (!(TOP_KEYS as readonly string[]).includes(key)) problems.push(`unknown key '${key}' (known: ${TOP_KEYS.join(', ')})`);
  const defaults: { chat?: string; embedding?: string } = {};
  for (const [key, field] of [
    ['default', 'chat'],
    ['default_embedding', 'embedding'],
  ] as const) {
    if (doc[key] === undefined) continue;
    if (typeof doc[key] === 'string' && doc[key]) defaults[field] = doc[key];
    else problems.push(`${key}: must be a model name`);
  }
  const list = doc.models;
  const specs: ModelSpec[] = [];
  if (!Array.isArray(list) || list.length === 0) problems.push('models: must be a non-empty list');
  else list.forEach((entry, i) => specs.push(...parseEntry(entry, `models[${i}]`, settings, env, problems)));
  if (problems.length) throw new ModelCatalogueError(`invalid model catalogue:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  const emb = envEmbedding(settings);
  if (emb && !specs.some((s) => s.kind === 'embedding' || s.name === emb.name)) specs.push(emb);
  try {
    return new ModelCatalogue(specs, defaults);
  } catch (err) {
    throw new ModelCatalogueError((err as Error).message.replace(/^Invalid/, 'invalid'));
  }
}

function parseEntry(
  entry: unknown,
  path: string,
  settings: Omit<ModelCatalogueSettings, 'modelsFile'>,
  env: Record<string, string | undefined>,
  problems: string[],
): ModelSpec[] {
  if (!isRecord(entry)) {
    problems.push(`${path}: must be a mapping`);
    return [];
  }
  const name = typeof entry.name === 'string' && entry.name.trim() ? entry.name.trim() : undefined;
  const at = name ? `${path} (${name})` : path;
  const before = problems.length;
  const bad = (field: string, why: string) => problems.push(`${at}.${field}: ${why}`);
  if (!name) bad('name', 'is required (a non-empty string)');
  for (const key of Object.keys(entry)) if (!(ENTRY_KEYS as readonly string[]).includes(key)) bad(key, `unknown key (known: ${ENTRY_KEYS.join(', ')})`);

  const str = (field: string): string | undefined => {
    const v = entry[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !v.trim()) bad(field, 'must be a non-empty string');
    else return v.trim();
    return undefined;
  };
  const num = (field: string, min: number, integer: boolean, max = Infinity): number | undefined => {
    const v = entry[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
      bad(field, `must be ${integer ? 'an integer' : 'a number'} ≥ ${min}${max < Infinity ? ` and ≤ ${max}` : ''}`);
    else return v;
    return undefined;
  };
  const bool = (field: string, fallback: boolean): boolean => {
    const v = entry[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') bad(field, 'must be true or false');
    return v === true;
  };

  const kindRaw = entry.kind ?? 'chat';
  if (kindRaw !== 'chat' && kindRaw !== 'embedding') bad('kind', "must be 'chat' or 'embedding'");
  const kind = kindRaw === 'embedding' ? 'embedding' : 'chat';

  const baseUrl = str('base_url') ?? settings.baseUrl;
  if (!baseUrl) bad('base_url', 'is required (LLM_BASE_URL, its default, is unset)');
  else if (!/^https?:\/\/\S+$/.test(baseUrl)) bad('base_url', `must be an http(s) URL (got '${baseUrl}')`);

  let apiKey = settings.apiKey || undefined;
  const literalKey = str('api_key');
  const keyEnv = str('api_key_env');
  if (literalKey && keyEnv) bad('api_key', 'give api_key or api_key_env, not both');
  if (literalKey) apiKey = literalKey;
  if (keyEnv) {
    if (!env[keyEnv]) bad('api_key_env', `names ${keyEnv}, which is unset or empty`);
    apiKey = env[keyEnv];
  }

  const tierRaw = entry.tier;
  let tier: ModelTier = 1;
  if (tierRaw === undefined || tierRaw === null) {
    if (kind === 'chat') bad('tier', 'is required (1 cheap/fast, 2, 3 strongest)');
  } else if (!MODEL_TIERS.includes(tierRaw as ModelTier)) bad('tier', `must be 1, 2 or 3 (got ${JSON.stringify(tierRaw)})`);
  else tier = tierRaw as ModelTier;

  const priceInputPerM = num('price_input_per_m', 0, false) ?? 0;
  const priceOutputPerM = num('price_output_per_m', 0, false) ?? 0;
  const contextTokens = num('context_tokens', 1, true);
  const timeoutMs = num('timeout_ms', 1000, true, 3_600_000) ?? settings.timeoutMs;
  const maxTokensField = entry.max_tokens_field ?? 'max_tokens';
  if (maxTokensField !== 'max_tokens' && maxTokensField !== 'max_completion_tokens') bad('max_tokens_field', "must be 'max_tokens' or 'max_completion_tokens'");
  const spec: ModelSpec = {
    name: name ?? '',
    kind,
    model: str('model') ?? name ?? '',
    baseUrl: baseUrl ?? '',
    apiKey,
    tier,
    priceInputPerM,
    priceOutputPerM,
    contextTokens,
    timeoutMs,
    jsonMode: bool('json_mode', kind === 'chat'),
    streamUsage: bool('stream_usage', kind === 'chat'),
    maxTokensField: maxTokensField === 'max_completion_tokens' ? 'max_completion_tokens' : 'max_tokens',
  };
  return problems.length > before ? [] : [spec];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
