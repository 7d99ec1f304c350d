import { Injectable, type Provider } from '@nestjs/common';
import { Subjects } from '@platform/contracts';
import { OpenAiLlmClient, type KnowledgeClient, type KnowledgeHit, type LlmClient } from '@platform/agent-registry';
import { Bus } from '@platform/runtime';
import { JobRunnerConfig } from '../config';

export const LLM_CLIENT = Symbol('LLM_CLIENT');
export const KNOWLEDGE_CLIENT = Symbol('KNOWLEDGE_CLIENT');

/** Asks knowledge-ingestor over NATS, on behalf of the job's owner (the principal travels in the request context). */
@Injectable()
export class NatsKnowledgeClient implements KnowledgeClient {
  constructor(private readonly bus: Bus) {}

  async search(collection: string, query: string, topK: number, signal: AbortSignal): Promise<KnowledgeHit[]> {
    signal.throwIfAborted();
    const reply = await this.bus.request(Subjects.knowledge.search, { collection_name: collection, query: query.slice(0, 4000), top_k: topK });
    return reply.results.map((r) => ({ ...r, collection_name: collection }));
  }
}

export const agentServiceProviders: Provider[] = [
  NatsKnowledgeClient,
  { provide: KNOWLEDGE_CLIENT, useExisting: NatsKnowledgeClient },
  {
    provide: LLM_CLIENT,
    inject: [JobRunnerConfig],
    useFactory: (config: JobRunnerConfig): LlmClient | null =>
      config.LLM_BASE_URL
        ? new OpenAiLlmClient({ baseUrl: config.LLM_BASE_URL, apiKey: config.LLM_API_KEY, model: config.LLM_MODEL, timeoutMs: config.LLM_TIMEOUT_MS })
        : null,
  },
];
