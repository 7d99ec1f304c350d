import { Injectable, type Provider } from '@nestjs/common';
import { Subjects } from '@platform/contracts';
import type { KnowledgeClient, KnowledgeHit, LlmClient, Models } from '@platform/agent-registry';
import { Bus, inSpan } from '@platform/runtime';

/** `LlmClient | null`: the catalogue's default model, tokens only (what `AgentContext.llm` is). */
export const LLM_CLIENT = Symbol('LLM_CLIENT');
/** `Models | null`: the model catalogue and its calls (`AgentContext.models`), provided by `ModelsModule`. */
export const MODELS = Symbol('MODELS');
export const KNOWLEDGE_CLIENT = Symbol('KNOWLEDGE_CLIENT');

/** Asks knowledge-ingestor over NATS, on behalf of the job's owner (the principal travels in the request context). */
@Injectable()
export class NatsKnowledgeClient implements KnowledgeClient {
  constructor(private readonly bus: Bus) {}

  async search(collection: string, query: string, topK: number, signal: AbortSignal): Promise<KnowledgeHit[]> {
    signal.throwIfAborted();
    return inSpan('knowledge.search', { attributes: { 'knowledge.collection': collection, 'knowledge.top_k': topK } }, async (span) => {
      const reply = await this.bus.request(Subjects.knowledge.search, { collection_name: collection, query: query.slice(0, 4000), top_k: topK });
      span?.setAttribute('knowledge.hits', reply.results.length);
      return reply.results.map((r) => ({ ...r, collection_name: collection }));
    });
  }
}

export const agentServiceProviders: Provider[] = [
  NatsKnowledgeClient,
  { provide: KNOWLEDGE_CLIENT, useExisting: NatsKnowledgeClient },
  { provide: LLM_CLIENT, inject: [MODELS], useFactory: (models: Models | null): LlmClient | null => models?.llm() ?? null },
];
