import OpenAI from 'openai';
import type { ChatMessage, LlmClient } from './agent';

export interface LlmSettings {
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
}

/** Streams chat completions from any OpenAI-compatible server through the maintained `openai` SDK. */
export class OpenAiLlmClient implements LlmClient {
  private readonly client: OpenAI;
  readonly model: string;

  constructor(settings: LlmSettings) {
    this.model = settings.model;
    // Retries would replay a half-streamed answer into the log; a failed call fails the step instead.
    this.client = new OpenAI({ baseURL: settings.baseUrl, apiKey: settings.apiKey ?? 'unused', timeout: settings.timeoutMs, maxRetries: 0 });
  }

  async *stream(messages: ChatMessage[], signal: AbortSignal): AsyncIterable<string> {
    const stream = await this.client.chat.completions.create({ model: this.model, messages, stream: true }, { signal });
    for await (const chunk of stream) {
      const token = chunk.choices[0]?.delta?.content;
      if (token) yield token;
    }
  }
}
