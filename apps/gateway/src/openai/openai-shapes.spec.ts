import { describe, expect, it } from '@jest/globals';
import type { HttpException } from '@nestjs/common';
import type { JobEvent, JobEventType } from '@platform/contracts';
import { chatCompletion, chatInput, ChatStreamFormat, contentText, openAiError, parseChatRequest } from './openai-shapes';

let seq = 0;
const ev = (type: JobEventType, data: Record<string, unknown> = {}): JobEvent => ({ seq: ++seq, type, timestamp: 't', data });
const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect((err as HttpException).getStatus()).toBe(400);
    return ((err as HttpException).getResponse() as { detail: string }).detail;
  }
  throw new Error('expected a failure');
};
/** The JSON payloads of `data:` lines, `[DONE]` as is. */
const payloads = (text: string): unknown[] =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((f) => f.replace(/^data: /, ''))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));

describe('OpenAI-compatible shapes', () => {
  it('reads model, messages and stream, ignoring the other OpenAI parameters', () => {
    const req = parseChatRequest({ model: 'demo_service', messages: [{ role: 'user', content: 'hi' }], temperature: 0.3, stream: true });
    expect(req).toEqual({ model: 'demo_service', messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(parseChatRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).stream).toBe(false);
  });

  it('refuses a bad body with a message naming the field', () => {
    expect(message(() => parseChatRequest([]))).toMatch(/JSON object/);
    expect(message(() => parseChatRequest({ messages: [{ role: 'user', content: 'x' }] }))).toMatch(/^model /);
    expect(message(() => parseChatRequest({ model: 'm', messages: [] }))).toMatch(/^messages /);
    expect(message(() => parseChatRequest({ model: 'm', messages: [{ role: 'robot', content: 'x' }] }))).toMatch(/^messages\[0\]\.role /);
    expect(message(() => parseChatRequest({ model: 'm', messages: [{ role: 'user', content: 5 }] }))).toMatch(/^messages\[0\]\.content /);
    expect(message(() => parseChatRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: 'yes' }))).toMatch(/^stream /);
  });

  it('takes the last user message as the input and the conversation as options', () => {
    const messages = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'second' },
          { type: 'image_url', image_url: { url: 'x' } },
          { type: 'text', text: 'part' },
        ],
      },
    ];
    expect(chatInput({ model: 'm', messages, stream: false })).toEqual({ input: 'second\npart', options: { messages } });
    expect(message(() => chatInput({ model: 'm', messages: [{ role: 'system', content: 'x' }], stream: false }))).toMatch(/user message/);
    expect(contentText(null)).toBe('');
  });

  it("answers errors in OpenAI's shape, type and code by status", () => {
    expect(openAiError(404, "The model 'x' does not exist")).toEqual({
      error: { message: "The model 'x' does not exist", type: 'invalid_request_error', param: null, code: 'model_not_found' },
    });
    expect(openAiError(400, 'm').error.type).toBe('invalid_request_error');
    expect(openAiError(401, 'm').error.code).toBe('invalid_api_key');
    expect(openAiError(429, 'm').error.type).toBe('rate_limit_error');
    expect(openAiError(504, 'm').error.code).toBe('timeout');
    expect(openAiError(500, 'm').error.type).toBe('server_error');
  });

  it('builds a chat.completion', () => {
    expect(chatCompletion('ab', 'demo_service', 7, 'Your input is Hello!.')).toEqual({
      id: 'chatcmpl-ab',
      object: 'chat.completion',
      created: 7,
      model: 'demo_service',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Your input is Hello!.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    });
  });
});

describe('ChatStreamFormat', () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id: 'chatcmpl-r',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'svc',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });

  it('streams tokens (the first with the role), then the stop chunk and [DONE]', async () => {
    const f = new ChatStreamFormat('r', 'svc', 1, async () => 'Your input is x.');
    expect(f.frame(ev('workflow.start', { name: 'echo' }))).toBeNull();
    expect(f.frame(ev('job.status', { status: 'running' }))).toBeNull();
    expect(payloads(f.frame(ev('llm.chunk', { content: 'Your ' }))!.text)).toEqual([chunk({ role: 'assistant', content: 'Your ' })]);
    expect(payloads(f.frame(ev('llm.chunk', { content: 'input is x.' }))!.text)).toEqual([chunk({ content: 'input is x.' })]);
    expect(payloads((await f.ending(ev('job.status', { status: 'success' }))).text)).toEqual([chunk({}, 'stop'), '[DONE]']);
    expect(f.liveMode).toBeNull();
  });

  it('sends the rest of a result that extends what was streamed (an agent that answers without a model sends it all)', async () => {
    const none = new ChatStreamFormat('r', 'svc', 1, async () => 'whole answer');
    expect(payloads((await none.ending(ev('job.status', { status: 'success' }))).text)).toEqual([
      chunk({ role: 'assistant', content: 'whole answer' }),
      chunk({}, 'stop'),
      '[DONE]',
    ]);
    const other = new ChatStreamFormat('r', 'svc', 1, async () => '# Title\n\nbody');
    other.frame(ev('llm.chunk', { content: 'body' }));
    expect(payloads((await other.ending(ev('job.status', { status: 'success' }))).text)).toEqual([chunk({}, 'stop'), '[DONE]']);
  });

  it('ends a failed run with an error payload the SDKs raise', async () => {
    const f = new ChatStreamFormat('r', 'svc', 1, async () => null);
    const frames = payloads((await f.ending(ev('job.status', { status: 'failure', error: 'model down' }))).text);
    expect(frames).toEqual([{ error: { message: 'model down', type: 'server_error', param: null, code: 'server_error' } }, '[DONE]']);
  });
});
