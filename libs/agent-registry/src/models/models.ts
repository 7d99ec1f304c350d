import OpenAI from 'openai';
import type { ChatMessage, LlmClient } from '../agent';
import { costOf, UnknownModelError, type ModelCatalogue, type ModelSpec, type TokenUsage } from './catalogue';
import { estimatePromptTokens, estimateTokens } from './usage';
import { endModelSpan, startModelSpan, type ModelCallMetrics } from './telemetry';
import type { Span } from '@opentelemetry/api';

/** Token usage of a call; `estimated` when the server sent none and it was counted (usage.ts). */
export interface Usage extends TokenUsage {
  estimated: boolean;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** A catalogue name. Without it, `tier` picks (`catalogue.forTier`); without both, the default model. */
  model?: string;
  tier?: number;
  /** 0…2. The server's default when omitted. */
  temperature?: number;
  /** Output limit in tokens. */
  maxTokens?: number;
  /**
   * Ask for one JSON object: `response_format: {type: "json_object"}` where the model supports it, and a
   * system line asking for JSON when no message mentions it (OpenAI refuses JSON mode otherwise). The
   * text is returned as is: parsing and validating it is the caller's.
   */
  json?: boolean;
  /** Deadline for the whole call, stream included (the model's `timeout_ms` only bounds the wait for a response). */
  timeoutMs?: number;
  /** Aborting it aborts the HTTP request. */
  signal: AbortSignal;
}

export interface ChatResult {
  /** The catalogue name of the model that answered. */
  model: string;
  text: string;
  usage: Usage;
  /** usage × the catalogue's prices. */
  cost: number;
  finishReason: string | null;
  latencyMs: number;
}

/** Tokens as they arrive; `result()` after the last one (or, called first, reads the stream to its end). */
export interface ChatStream extends AsyncIterable<string> {
  readonly model: ModelSpec;
  result(): Promise<ChatResult>;
}

export interface EmbedRequest {
  input: string[];
  /** A catalogue name of kind `embedding`; the default embedding model when omitted. */
  model?: string;
  timeoutMs?: number;
  signal: AbortSignal;
}

export interface EmbedResult {
  model: string;
  /** One vector per input, in input order, as the server returned it (not normalised). */
  vectors: number[][];
  usage: Usage;
  cost: number;
}

/**
 * The model catalogue with the means to call it — what agents get as `ctx.models`. Every call reports
 * its usage and cost, so callers can sum what a task spent.
 */
export interface Models {
  readonly catalogue: ModelCatalogue;
  /** One completion. With `onToken` it streams (tokens passed as they arrive); without, it does not. */
  chat(req: ChatRequest & { onToken?: (token: string) => void }): Promise<ChatResult>;
  /** A streaming completion. */
  stream(req: ChatRequest): ChatStream;
  /** Embeddings; throws `UnknownModelError` when the catalogue has no embedding model. */
  embed(req: EmbedRequest): Promise<EmbedResult>;
  /** The plain `LlmClient` (tokens only) of one model, the default one when `model` is omitted. */
  llm(model?: string): LlmClient;
}

/** A model call that failed (HTTP error, bad response, connection). Not used for aborts by the caller's signal. */
export class ModelCallError extends Error {
  override name = 'ModelCallError';
  constructor(
    readonly model: string,
    message: string,
    /** The HTTP status, when the server answered with an error. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A call past its `timeoutMs`. */
export class ModelTimeoutError extends ModelCallError {
  override name = 'ModelTimeoutError';
}

const JSON_HINT: ChatMessage = { role: 'system', content: 'Reply with a single JSON object and nothing else.' };

/** `Models` over OpenAI-compatible servers through the maintained `openai` SDK, one client per server. */
export class OpenAiModels implements Models {
  private readonly clients = new Map<string, OpenAI>();
  private readonly llms = new Map<string, LlmClient>();

  /** `metrics`: where each call's latency, tokens, cost and errors are counted (the service's registry). */
  constructor(
    readonly catalogue: ModelCatalogue,
    private readonly metrics?: ModelCallMetrics,
  ) {}

  /** Every call ends here: its span, and its metrics. */
  private succeeded<R extends { usage: Usage; cost: number }>(spec: ModelSpec, kind: 'chat' | 'embed', span: Span, started: number, result: R): R {
    endModelSpan(span, result);
    this.metrics?.succeeded(spec.name, kind, (Date.now() - started) / 1000, result.usage, result.cost);
    return result;
  }

  private failed(spec: ModelSpec, kind: 'chat' | 'embed', span: Span, started: number, signal: AbortSignal, error: unknown): unknown {
    const reason = signal.aborted
      ? null
      : error instanceof ModelTimeoutError
        ? 'timeout'
        : error instanceof ModelCallError && error.status
          ? `http_${error.status}`
          : 'error';
    endModelSpan(span, { error, reason });
    this.metrics?.failed(spec.name, kind, (Date.now() - started) / 1000, reason);
    return error;
  }

  async chat(req: ChatRequest & { onToken?: (token: string) => void }): Promise<ChatResult> {
    if (req.onToken) {
      const stream = this.stream(req);
      for await (const token of stream) req.onToken(token);
      return stream.result();
    }
    const spec = this.resolve(req);
    const messages = prepare(req);
    const call = callSignal(req);
    const started = Date.now();
    const span = startModelSpan(spec, 'chat');
    try {
      const res = await this.client(spec).chat.completions.create({ ...requestBody(spec, req, messages), stream: false }, { signal: call.signal });
      const choice = res.choices?.[0];
      const text = choice?.message?.content ?? '';
      return this.succeeded(spec, 'chat', span, started, finish(spec, messages, text, res.usage, choice?.finish_reason ?? null, started));
    } catch (err) {
      throw this.failed(spec, 'chat', span, started, req.signal, failure(spec, req, call, err));
    } finally {
      call.dispose();
    }
  }

  stream(req: ChatRequest): ChatStream {
    const spec = this.resolve(req);
    return new OnceChatStream(spec, () => this.streamCall(spec, req));
  }

  async embed(req: EmbedRequest): Promise<EmbedResult> {
    const spec = req.model ? this.catalogue.require(req.model, 'embedding') : this.catalogue.defaultEmbedding;
    if (!spec)
      throw new UnknownModelError('no embedding model is configured (a catalogue entry with kind: embedding, or EMBEDDINGS_BASE_URL and EMBEDDINGS_MODEL)');
    const call = callSignal(req);
    const started = Date.now();
    const span = startModelSpan(spec, 'embed');
    try {
      // `float` explicitly: the SDK asks for base64 by default, which not every compatible server speaks.
      const res = await this.client(spec).embeddings.create({ model: spec.model, input: req.input, encoding_format: 'float' }, { signal: call.signal });
      const data = [...res.data].sort((a, b) => a.index - b.index);
      if (data.length !== req.input.length) throw new Error(`expected ${req.input.length} embeddings, got ${data.length}`);
      const reported = res.usage?.prompt_tokens;
      const usage: Usage =
        typeof reported === 'number'
          ? { prompt_tokens: reported, completion_tokens: 0, estimated: false }
          : { prompt_tokens: req.input.reduce((n, t) => n + estimateTokens(t), 0), completion_tokens: 0, estimated: true };
      return this.succeeded(spec, 'embed', span, started, {
        model: spec.name,
        vectors: data.map((d) => d.embedding as number[]),
        usage,
        cost: costOf(spec, usage),
      });
    } catch (err) {
      throw this.failed(spec, 'embed', span, started, req.signal, failure(spec, req, call, err));
    } finally {
      call.dispose();
    }
  }

  llm(model?: string): LlmClient {
    const spec = model ? this.catalogue.require(model) : this.catalogue.default;
    let client = this.llms.get(spec.name);
    if (!client) {
      client = { model: spec.name, stream: (messages, signal) => this.stream({ messages, model: spec.name, signal }) };
      this.llms.set(spec.name, client);
    }
    return client;
  }

  private resolve(req: Pick<ChatRequest, 'model' | 'tier'>): ModelSpec {
    if (req.model) return this.catalogue.require(req.model);
    if (req.tier !== undefined) return this.catalogue.forTier(req.tier);
    return this.catalogue.default;
  }

  private async *streamCall(spec: ModelSpec, req: ChatRequest): AsyncGenerator<string, ChatResult> {
    const messages = prepare(req);
    const call = callSignal(req);
    const started = Date.now();
    const span = startModelSpan(spec, 'chat');
    let ended = false;
    try {
      const body = { ...requestBody(spec, req, messages), stream: true as const, ...(spec.streamUsage ? { stream_options: { include_usage: true } } : {}) };
      const stream = await this.client(spec).chat.completions.create(body, { signal: call.signal });
      let text = '';
      let usage: TokenUsage | undefined | null;
      let finishReason: string | null = null;
      // Leaving this loop early (the consumer stopped reading) aborts the HTTP request.
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        const token = choice?.delta?.content;
        if (token) {
          text += token;
          yield token;
        }
      }
      // The SDK ends an aborted stream quietly: a cut-off answer must not pass for a whole one.
      call.signal.throwIfAborted();
      ended = true;
      return this.succeeded(spec, 'chat', span, started, finish(spec, messages, text, usage, finishReason, started));
    } catch (err) {
      ended = true;
      throw this.failed(spec, 'chat', span, started, req.signal, failure(spec, req, call, err));
    } finally {
      // The reader stopped early (its `return` ends the generator here): the call was abandoned, not failed.
      if (!ended) this.failed(spec, 'chat', span, started, AbortSignal.abort(), new Error('the reader stopped'));
      call.dispose();
    }
  }

  private client(spec: ModelSpec): OpenAI {
    const key = JSON.stringify([spec.baseUrl, spec.apiKey ?? '', spec.timeoutMs]);
    let client = this.clients.get(key);
    if (!client) {
      // Retries would replay a half-streamed answer into the log; a failed call fails the step instead.
      client = new OpenAI({ baseURL: spec.baseUrl, apiKey: spec.apiKey ?? 'unused', timeout: spec.timeoutMs, maxRetries: 0 });
      this.clients.set(key, client);
    }
    return client;
  }
}

/** A `ChatStream` that can be read once; `result()` drains it when nobody read it. */
class OnceChatStream implements ChatStream {
  private started = false;
  private outcome?: { result: ChatResult } | { error: unknown };

  constructor(
    readonly model: ModelSpec,
    private readonly run: () => AsyncGenerator<string, ChatResult>,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<string, void> {
    if (this.started) throw new Error('a ChatStream can be read once');
    this.started = true;
    try {
      // yield* hands a consumer's early `return` to the call, which then aborts its request.
      this.outcome = { result: yield* this.run() };
    } catch (error) {
      this.outcome = { error };
      throw error;
    }
  }

  async result(): Promise<ChatResult> {
    if (!this.started) for await (const _ of this);
    if (!this.outcome) throw new Error('result() of a ChatStream whose reader stopped before its end');
    if ('error' in this.outcome) throw this.outcome.error;
    return this.outcome.result;
  }
}

function prepare(req: ChatRequest): ChatMessage[] {
  if (req.temperature !== undefined && !(req.temperature >= 0 && req.temperature <= 2))
    throw new RangeError(`temperature must be within 0…2 (got ${req.temperature})`);
  if (req.maxTokens !== undefined && !(Number.isInteger(req.maxTokens) && req.maxTokens > 0))
    throw new RangeError(`maxTokens must be a positive integer (got ${req.maxTokens})`);
  if (req.json && !req.messages.some((m) => /json/i.test(m.content))) return [JSON_HINT, ...req.messages];
  return req.messages;
}

function requestBody(spec: ModelSpec, req: ChatRequest, messages: ChatMessage[]) {
  return {
    model: spec.model,
    messages,
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.maxTokens !== undefined ? { [spec.maxTokensField]: req.maxTokens } : {}),
    ...(req.json && spec.jsonMode ? { response_format: { type: 'json_object' as const } } : {}),
  };
}

function finish(
  spec: ModelSpec,
  messages: ChatMessage[],
  text: string,
  reported: TokenUsage | null | undefined,
  finishReason: string | null,
  started: number,
): ChatResult {
  const usage: Usage =
    typeof reported?.prompt_tokens === 'number' && typeof reported.completion_tokens === 'number'
      ? { prompt_tokens: reported.prompt_tokens, completion_tokens: reported.completion_tokens, estimated: false }
      : { prompt_tokens: estimatePromptTokens(messages), completion_tokens: estimateTokens(text), estimated: true };
  return { model: spec.name, text, usage, cost: costOf(spec, usage), finishReason, latencyMs: Date.now() - started };
}

interface CallSignal {
  signal: AbortSignal;
  timedOut(): boolean;
  dispose(): void;
}

/** The caller's signal, plus the call's own deadline when `timeoutMs` is set. */
function callSignal(req: { signal: AbortSignal; timeoutMs?: number }): CallSignal {
  if (!req.timeoutMs) return { signal: req.signal, timedOut: () => false, dispose: () => undefined };
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error('timeout')), req.timeoutMs);
  return {
    signal: AbortSignal.any([req.signal, deadline.signal]),
    timedOut: () => deadline.signal.aborted && !req.signal.aborted,
    dispose: () => clearTimeout(timer),
  };
}

/** The error a failed call throws: the caller's abort as the SDK raised it, else one naming the model. */
function failure(spec: ModelSpec, req: { signal: AbortSignal; timeoutMs?: number }, call: CallSignal, err: unknown): unknown {
  if (req.signal.aborted) return err;
  if (call.timedOut()) return new ModelTimeoutError(spec.name, `model '${spec.name}' did not finish within ${req.timeoutMs} ms`, undefined, { cause: err });
  if (err instanceof ModelCallError || err instanceof RangeError || err instanceof UnknownModelError) return err;
  const status = err instanceof OpenAI.APIError ? err.status : undefined;
  return new ModelCallError(spec.name, `model '${spec.name}': ${(err as Error)?.message ?? String(err)}`, status, { cause: err });
}
