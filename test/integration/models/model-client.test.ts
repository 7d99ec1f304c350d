import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NewJobEvent } from '@platform/contracts';
import {
  estimatePromptTokens,
  estimateTokens,
  ModelCallError,
  ModelTimeoutError,
  OpenAiModels,
  parseModelCatalogue,
  ShallowResearcherAgent,
  UnknownModelError,
  type AgentContext,
  type ChatMessage,
  type Models,
} from '@platform/agent-registry';
import { MockLlm } from '../../support/mock-llm';

/**
 * The model client against a local OpenAI-compatible server (test/support/mock-llm.ts): usage and cost
 * for streaming and non-streaming calls, the counted fallback, JSON mode, tiers, timeouts and aborts.
 * No shared servers: the mock runs in this process.
 */
describe('model client (integration, local model server)', () => {
  const llm = new MockLlm((call) => (call.messages.some((m) => m.content.includes('plan please')) ? '{"subtasks": []}' : undefined));
  let models: Models;

  beforeAll(async () => {
    const url = await llm.start();
    const catalogue = parseModelCatalogue(
      `
default: small
models:
  - { name: small, model: mock-small, tier: 1, price_input_per_m: 1, price_output_per_m: 2 }
  - { name: big, model: mock-big, tier: 3, price_input_per_m: 5, price_output_per_m: 15, json_mode: false, max_tokens_field: max_completion_tokens }
  - { name: quiet, model: mock-quiet, tier: 2, price_input_per_m: 4, price_output_per_m: 8, stream_usage: false }
  - { name: embed, kind: embedding, model: mock-embed, price_input_per_m: 0.5 }
`,
      { baseUrl: url, model: 'unused', timeoutMs: 10_000 },
      {},
    );
    models = new OpenAiModels(catalogue);
  });

  afterAll(() => llm.stop());

  const signal = () => new AbortController().signal;
  const lastCall = () => llm.calls[llm.calls.length - 1];
  const ask = (content: string): ChatMessage[] => [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content },
  ];

  it('non-streaming: returns the text, the reported usage and its cost; sends temperature, max tokens and JSON mode', async () => {
    const res = await models.chat({ messages: ask('plan please'), temperature: 0.3, maxTokens: 50, json: true, signal: signal() });
    const call = lastCall();
    expect(call).toMatchObject({ model: 'mock-small', stream: false, temperature: 0.3, max_tokens: 50, response_format: { type: 'json_object' } });
    expect(call.messages[0]).toEqual({ role: 'system', content: 'Reply with a single JSON object and nothing else.' }); // no message said "JSON"
    expect(res.text).toBe('{"subtasks": []}');
    expect(JSON.parse(res.text)).toEqual({ subtasks: [] });
    expect(call.usage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: 2 });
    expect(res.usage).toEqual({ ...call.usage, estimated: false });
    expect(res.cost).toBeCloseTo((call.usage!.prompt_tokens * 1 + 2 * 2) / 1e6, 12);
    expect(res).toMatchObject({ model: 'small', finishReason: 'stop', latencyMs: expect.any(Number) });
  });

  it('streaming: yields the tokens, asks for usage with stream_options and prices the final chunk’s usage', async () => {
    const stream = models.stream({ messages: ask('[[tokens=5]] hello'), model: 'big', signal: signal() });
    const tokens: string[] = [];
    for await (const t of stream) tokens.push(t);
    const res = await stream.result();
    const call = lastCall();
    expect(call).toMatchObject({ model: 'mock-big', stream: true, stream_options: { include_usage: true } });
    expect(tokens).toEqual(['tok0 ', 'tok1 ', 'tok2 ', 'tok3 ', 'tok4 ']);
    expect(res.text).toBe(tokens.join(''));
    expect(call.usage).toEqual({ prompt_tokens: 5, completion_tokens: 5 });
    expect(res.usage).toEqual({ prompt_tokens: 5, completion_tokens: 5, estimated: false });
    expect(res.cost).toBeCloseTo((5 * 5 + 5 * 15) / 1e6, 12);
  });

  it('chat with onToken streams; result() alone reads the stream to its end', async () => {
    const seen: string[] = [];
    const res = await models.chat({ messages: ask('[[tokens=3]]'), onToken: (t) => seen.push(t), signal: signal() });
    expect(lastCall().stream).toBe(true);
    expect(seen.join('')).toBe(res.text);
    const undrained = await models.stream({ messages: ask('[[tokens=4]]'), signal: signal() }).result();
    expect(undrained.usage.completion_tokens).toBe(4);
  });

  it('counts usage (chars/4) when the server sends none, streaming or not, and prices that', async () => {
    const messages = ask('[[tokens=6 usage=off]] count me');
    const plain = await models.chat({ messages, signal: signal() });
    expect(lastCall().usage).toBeNull();
    const counted = { prompt_tokens: estimatePromptTokens(messages), completion_tokens: estimateTokens(plain.text), estimated: true };
    expect(plain.usage).toEqual(counted);
    expect(plain.cost).toBeCloseTo((counted.prompt_tokens * 1 + counted.completion_tokens * 2) / 1e6, 12);

    const streamed = await models.chat({ messages, onToken: () => undefined, signal: signal() });
    expect(lastCall().usage).toBeNull();
    expect(streamed.usage).toEqual(counted);

    // A model marked stream_usage: false is not asked for usage on streams, so it is counted too.
    const quiet = models.stream({ messages: ask('[[tokens=2]]'), model: 'quiet', signal: signal() });
    for await (const _ of quiet);
    expect(lastCall().stream_options).toBeUndefined();
    expect((await quiet.result()).usage.estimated).toBe(true);
  });

  it('picks by tier, the nearest when a tier is missing; JSON mode only where the model supports it', async () => {
    await models.chat({ messages: ask('x'), tier: 3, json: true, maxTokens: 10, signal: signal() });
    expect(lastCall()).toMatchObject({ model: 'mock-big', max_completion_tokens: 10 });
    expect(lastCall().response_format).toBeUndefined();
    expect(lastCall().max_tokens).toBeUndefined();
    await models.chat({ messages: ask('x'), tier: 2, signal: signal() });
    expect(lastCall().model).toBe('mock-quiet');
    await models.chat({ messages: ask('x'), tier: 1, signal: signal() });
    expect(lastCall().model).toBe('mock-small');
    await expect(models.chat({ messages: ask('x'), model: 'nope', signal: signal() })).rejects.toThrow(UnknownModelError);
    await expect(models.chat({ messages: ask('x'), temperature: 3, signal: signal() })).rejects.toThrow(RangeError);
  });

  it('aborting the signal aborts a streaming request', async () => {
    const controller = new AbortController();
    const before = llm.calls.length;
    const stream = models.stream({ messages: ask('[[tokens=1000 delay=20]] long'), signal: controller.signal });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const t of stream) {
        seen.push(t);
        if (seen.length === 2) controller.abort();
      }
    })();
    await expect(reading).rejects.toThrow();
    await expect(stream.result()).rejects.toThrow();
    await waitFor(() => llm.calls[before]?.aborted === true);
    expect(llm.calls[before].finished).toBe(false);
    expect(seen.length).toBeLessThan(10);
  });

  it('aborting the signal aborts a non-streaming request', async () => {
    const controller = new AbortController();
    const before = llm.calls.length;
    const pending = models.chat({ messages: ask('[[tokens=100 delay=20]] slow'), signal: controller.signal });
    await waitFor(() => llm.calls.length > before);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => llm.calls[before].aborted);
    expect(llm.calls[before].finished).toBe(false);
  });

  it('a reader that stops early aborts the request too', async () => {
    const before = llm.calls.length;
    for await (const t of models.llm().stream(ask('[[tokens=1000 delay=10]]'), signal())) if (t) break;
    await waitFor(() => llm.calls[before]?.aborted === true);
  });

  it('timeoutMs bounds the whole call (stream included) with a ModelTimeoutError', async () => {
    const before = llm.calls.length;
    const err = await models
      .chat({ messages: ask('[[tokens=1000 delay=20]]'), onToken: () => undefined, timeoutMs: 200, signal: signal() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelTimeoutError);
    expect((err as ModelTimeoutError).message).toBe("model 'small' did not finish within 200 ms");
    await waitFor(() => llm.calls[before].aborted);
  });

  it('a server error is a ModelCallError naming the model and the status', async () => {
    const err = await models.chat({ messages: ask('fail=503'), model: 'big', signal: signal() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ model: 'big', status: 503 });
    expect((err as Error).message).toMatch(/^model 'big': 503/);
  });

  it('embeds with usage and cost', async () => {
    const res = await models.embed({ input: ['the cat sat', 'the cat sat down'], signal: signal() });
    expect(res.model).toBe('embed');
    expect(res.vectors).toHaveLength(2);
    expect(res.vectors[0]).toHaveLength(64);
    expect(llm.embeddingCalls.at(-1)).toMatchObject({ model: 'mock-embed', input: ['the cat sat', 'the cat sat down'] });
    expect(res.usage).toEqual({ prompt_tokens: 7, completion_tokens: 0, estimated: false });
    expect(res.cost).toBeCloseTo((7 * 0.5) / 1e6, 12);
  });

  it('the plain LlmClient of the default model still streams tokens, and streamAnswer reports usage and cost in llm.end', async () => {
    const llmClient = models.llm();
    expect(llmClient.model).toBe('small');
    const events: NewJobEvent[] = [];
    const ctx: AgentContext = {
      jobId: 'j',
      input: 'what is new [[tokens=4]]',
      options: {},
      emit: async (e) => void events.push(e),
      signal: signal(),
      llm: llmClient,
      models,
      knowledge: { search: async () => [] },
    };
    const report = await new ShallowResearcherAgent().run(ctx);
    expect(report).toContain('tok0 tok1 tok2 tok3');
    const call = lastCall();
    expect(events.find((e) => e.type === 'llm.start')?.data).toEqual({ model: 'small', step: 'answer' });
    expect(events.find((e) => e.type === 'llm.end')?.data).toEqual({
      model: 'small',
      step: 'answer',
      length: 20,
      usage: { ...call.usage, estimated: false },
      cost: expect.closeTo((call.usage!.prompt_tokens * 1 + 4 * 2) / 1e6, 12),
    });
  });
});

async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
