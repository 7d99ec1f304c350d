import { BadRequestException } from '@nestjs/common';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Model } from 'openai/resources/models';
import type { JobEvent } from '@platform/contracts';
import { SseFrame, type StreamFormat } from '../jobs/sse';

/* OpenAI's chat-completions wire shapes over service runs (model = service), typed by the `openai` SDK itself. */

/** OpenAI's error body: `{"error": {message, type, param, code}}`, its type and code chosen by status. */
export function openAiError(status: number, message: string): { error: { message: string; type: string; param: null; code: string } } {
  const [type, code] =
    status === 401
      ? ['invalid_request_error', 'invalid_api_key']
      : status === 404
        ? ['invalid_request_error', 'model_not_found']
        : status === 413
          ? ['invalid_request_error', 'request_too_large']
          : status === 429
            ? ['rate_limit_error', 'rate_limit_exceeded']
            : status === 504
              ? ['timeout', 'timeout']
              : status >= 500
                ? ['server_error', 'server_error']
                : ['invalid_request_error', status === 409 ? 'conflict' : 'invalid_request'];
  return { error: { message, type, param: null, code } };
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const MAX_INPUT = 200_000;
const MAX_MESSAGES = 1000;

export interface ChatRequest {
  model: string;
  messages: { role: string; content: unknown }[];
  stream: boolean;
}

const bad = (message: string) => new BadRequestException({ detail: message });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks the fields this front reads (`model`, `messages`, `stream`); any other OpenAI parameter
 * (temperature, max_tokens, …) is accepted and ignored, as OpenAI-compatible servers do.
 */
export function parseChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw bad('The body must be a JSON object');
  const { model, messages, stream } = body;
  if (typeof model !== 'string' || model.length === 0 || model.length > 128) throw bad('model must be a service id (a string of 1-128 characters)');
  if (!Array.isArray(messages) || messages.length === 0) throw bad('messages must be a non-empty array');
  if (messages.length > MAX_MESSAGES) throw bad(`messages must have at most ${MAX_MESSAGES} entries`);
  messages.forEach((m: unknown, i) => {
    if (!isObject(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) throw bad(`messages[${i}].role must be one of ${[...ROLES].join(', ')}`);
    const c = m.content;
    if (!(c === undefined || c === null || typeof c === 'string' || Array.isArray(c)))
      throw bad(`messages[${i}].content must be a string or an array of content parts`);
  });
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw bad('stream must be a boolean');
  return { model, messages: messages as ChatRequest['messages'], stream: stream === true };
}

/** The text of a message's content: the string, or its text parts joined. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p: unknown) => (isObject(p) && p.type === 'text' && typeof p.text === 'string' ? p.text : ''))
    .filter(Boolean)
    .join('\n');
}

/** The agent's input is the last user message's text; the whole conversation goes to the agent as `options.messages`. */
export function chatInput(req: ChatRequest): { input: string; options: Record<string, unknown> } {
  const last = [...req.messages].reverse().find((m) => m.role === 'user');
  const input = last ? contentText(last.content) : '';
  if (input.length === 0) throw bad('messages must end with a user message that has text (it is the agent’s input)');
  if (input.length > MAX_INPUT) throw bad(`the last user message must be at most ${MAX_INPUT} characters`);
  return { input, options: { messages: req.messages } };
}

export const completionId = (requestId: string): string => `chatcmpl-${requestId}`;

export function chatCompletion(requestId: string, model: string, created: number, content: string): ChatCompletion {
  return {
    id: completionId(requestId),
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
  };
}

export function chatChunk(
  requestId: string,
  model: string,
  created: number,
  delta: ChatCompletionChunk.Choice.Delta,
  finish: 'stop' | null = null,
): ChatCompletionChunk {
  return {
    id: completionId(requestId),
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

export const modelOf = (serviceId: string): Model => ({ id: serviceId, object: 'model', created: 0, owned_by: 'agent-platform' });

const data = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;
export const DONE = 'data: [DONE]\n\n';

/**
 * `stream: true` on the wire: a `chat.completion.chunk` per model token (the first with the role),
 * then — when the run's result extends what was streamed, e.g. an agent that answers without a model
 * — the rest of it, a last chunk with `finish_reason: "stop"`, and `data: [DONE]`. A failed or cancelled
 * run ends with `data: {"error": …}` (the SDKs raise it) and `[DONE]`. No ids: a chat stream is not
 * resumed. One object per request: it remembers what it streamed.
 */
export class ChatStreamFormat implements StreamFormat {
  readonly liveMode = null;
  private streamed = '';
  private roleSent = false;

  constructor(
    private readonly requestId: string,
    private readonly model: string,
    private readonly created: number,
    private readonly readResult: () => Promise<string | null>,
  ) {}

  frame(e: JobEvent): SseFrame | null {
    if (e.type !== 'llm.chunk' || typeof e.data.content !== 'string' || e.data.content === '') return null;
    this.streamed += e.data.content;
    return new SseFrame(data(chatChunk(this.requestId, this.model, this.created, this.delta(e.data.content))));
  }

  async ending(terminal: JobEvent): Promise<SseFrame> {
    if (terminal.data.status !== 'success') {
      const message = typeof terminal.data.error === 'string' ? terminal.data.error : `run ${String(terminal.data.status)}`;
      return new SseFrame(data(openAiError(500, message)) + DONE);
    }
    const result = (await this.readResult()) ?? '';
    const rest = result.startsWith(this.streamed) ? result.slice(this.streamed.length) : '';
    let text = rest ? data(chatChunk(this.requestId, this.model, this.created, this.delta(rest))) : '';
    text += data(chatChunk(this.requestId, this.model, this.created, this.roleSent ? {} : this.delta(''), 'stop'));
    return new SseFrame(text + DONE);
  }

  private delta(content: string): ChatCompletionChunk.Choice.Delta {
    if (this.roleSent) return { content };
    this.roleSent = true;
    return { role: 'assistant', content };
  }
}
