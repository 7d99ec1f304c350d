import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LlmCall {
  model: string;
  messages: { role: string; content: string }[];
  /** The request's other fields, as sent. */
  stream: boolean;
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  response_format?: { type: string };
  stream_options?: { include_usage?: boolean };
  /** The usage the server reported (null: it sent none). Set when the answer is complete. */
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  aborted: boolean;
  finished: boolean;
}

export interface EmbeddingCall {
  model: string;
  input: string[];
  usage: { prompt_tokens: number; total_tokens: number };
}

/**
 * What `MockLlm`'s `respond` hook may script for one call: the answer's text (a JSON plan, say), its
 * failure (`status`), and how slowly it streams (`delayMs` per token, instead of a `delay=` directive).
 */
export type MockReply = string | { text?: string; status?: number; delayMs?: number } | undefined;

/**
 * A local server that speaks the OpenAI chat-completions protocol: streaming (SSE `data:` chunks and
 * `[DONE]`) and not, and `/embeddings`. Directives anywhere in the request's messages shape the answer:
 * - `[[tokens=N delay=MS]]` — how many tokens it answers and how slowly (tests use it to keep a job
 *   running; a non-streaming answer waits N×MS before it is sent);
 * - `size=BYTES` pads each token to about that many characters (the fault suite's slow-reader scenario);
 * - `usage=off` — send no `usage` (so the client has to count);
 * - `fail=STATUS` — answer that HTTP error instead; `[[fail]]` alone is a 500, as a model server that is down.
 * Usage is reported like OpenAI does: in a non-streaming answer always, in a stream only in a final chunk
 * when the request asks with `stream_options: {include_usage: true}`. `prompt_tokens` is the number of
 * whitespace-separated words of the messages, `completion_tokens` the number of tokens answered — the
 * reported numbers are kept on each call (`calls[i].usage`) for tests to compare costs with.
 * `respond` (constructor) may script the text (split into tokens at spaces), a failure or the pace per call;
 * `callsWhere` counts what a test needs (e.g. the calls made for one subtask).
 */
export class MockLlm {
  readonly calls: LlmCall[] = [];
  readonly embeddingCalls: EmbeddingCall[] = [];
  private server?: http.Server;

  constructor(private readonly respond?: (call: LlmCall) => MockReply) {}

  /** The calls whose messages (joined) pass `test`: a string is looked for in them. */
  callsWhere(test: string | ((text: string, call: LlmCall) => boolean)): LlmCall[] {
    return this.calls.filter((c) => {
      const text = c.messages.map((m) => m.content).join('\n');
      return typeof test === 'string' ? text.includes(test) : test(text, c);
    });
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.method === 'POST' && req.url?.endsWith('/embeddings')) return this.embeddings(body, res);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    const parsed = JSON.parse(body) as Omit<LlmCall, 'aborted' | 'finished' | 'usage'>;
    const call: LlmCall = {
      model: parsed.model,
      messages: parsed.messages,
      stream: parsed.stream === true,
      temperature: parsed.temperature,
      max_tokens: parsed.max_tokens,
      max_completion_tokens: parsed.max_completion_tokens,
      response_format: parsed.response_format,
      stream_options: parsed.stream_options,
      aborted: false,
      finished: false,
    };
    this.calls.push(call);
    res.on('close', () => {
      if (!call.finished) call.aborted = true;
    });
    const text = parsed.messages.map((m) => m.content).join('\n');
    const scripted = this.respond?.(call);
    const reply = typeof scripted === 'string' ? { text: scripted } : (scripted ?? {});
    const fail = reply.status ?? Number(/fail=(\d{3})/.exec(text)?.[1] ?? (text.includes('[[fail]]') ? 500 : 0));
    if (fail) {
      call.finished = true;
      res.writeHead(fail, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message: `mock model failure ${fail}`, type: 'mock' } }));
      return;
    }
    const delay = reply.delayMs ?? Number(/delay=(\d+)/.exec(text)?.[1] ?? 0);
    const size = Number(/size=(\d+)/.exec(text)?.[1] ?? 0);
    const pad = size > 8 ? 'x'.repeat(size - 8) : '';
    const tokens =
      reply.text !== undefined
        ? (reply.text.match(/\S+\s*|\s+/g) ?? [])
        : Array.from({ length: Number(/tokens=(\d+)/.exec(text)?.[1] ?? 8) }, (_, i) => `tok${i}${pad} `);
    const usage = /usage=off/.test(text) ? null : { prompt_tokens: text.split(/\s+/).filter(Boolean).length, completion_tokens: tokens.length };
    const sleep = () => new Promise((r) => setTimeout(r, delay));

    if (!call.stream) {
      for (let i = 0; delay && i < tokens.length; i++) {
        if (call.aborted) return;
        await sleep();
      }
      if (call.aborted || res.destroyed) return;
      call.finished = true;
      call.usage = usage;
      const message = { role: 'assistant', content: tokens.join('') };
      const completion = { id: 'cmpl-1', object: 'chat.completion', created: 0, model: parsed.model, choices: [{ index: 0, message, finish_reason: 'stop' }] };
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(usage ? { ...completion, usage: { ...usage, total_tokens: total(usage) } } : completion));
      return;
    }

    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const chunk = (content: string | null, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'cmpl-1', object: 'chat.completion.chunk', created: 0, model: parsed.model, choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] })}\n\n`;
    for (const token of tokens) {
      if (call.aborted || res.destroyed) return;
      res.write(chunk(token));
      if (delay) await sleep();
    }
    call.finished = true;
    res.write(chunk(null, 'stop'));
    if (usage && call.stream_options?.include_usage) {
      call.usage = usage;
      const last = {
        id: 'cmpl-1',
        object: 'chat.completion.chunk',
        created: 0,
        model: parsed.model,
        choices: [],
        usage: { ...usage, total_tokens: total(usage) },
      };
      res.write(`data: ${JSON.stringify(last)}\n\n`);
    } else call.usage = null;
    res.end('data: [DONE]\n\n');
  }

  /**
   * Deterministic vectors: each word adds 1 to one of 64 dimensions (by a hash), so texts sharing words
   * point the same way — enough for an agreement measure to tell similar answers from different ones.
   */
  private embeddings(body: string, res: http.ServerResponse): void {
    const parsed = JSON.parse(body) as { model: string; input: string | string[] };
    const input = Array.isArray(parsed.input) ? parsed.input : [parsed.input];
    const words = (t: string) => t.toLowerCase().match(/[a-z0-9]+/g) ?? [];
    const prompt = input.reduce((n, t) => n + words(t).length, 0);
    const call: EmbeddingCall = { model: parsed.model, input, usage: { prompt_tokens: prompt, total_tokens: prompt } };
    this.embeddingCalls.push(call);
    const data = input.map((t, index) => {
      const v = new Array<number>(64).fill(0);
      for (const w of words(t)) v[[...w].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 64] += 1;
      return { object: 'embedding', index, embedding: v };
    });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ object: 'list', model: parsed.model, data, usage: call.usage }));
  }
}

const total = (u: { prompt_tokens: number; completion_tokens: number }) => u.prompt_tokens + u.completion_tokens;
