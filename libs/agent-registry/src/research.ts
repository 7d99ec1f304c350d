import type { AgentContext, ChatMessage, KnowledgeHit } from './agent';
import { PendingEmits } from './pending-emits';

/** Searches every collection the job names, logging each call as a tool event and each hit as a citation source. */
export async function searchCollections(ctx: AgentContext, query: string, topK = 5): Promise<KnowledgeHit[]> {
  const hits: KnowledgeHit[] = [];
  for (const collection of ctx.options.collections ?? []) {
    ctx.signal.throwIfAborted();
    const input = { collection, query, top_k: topK };
    await ctx.emit({ type: 'tool.start', data: { name: 'knowledge_search', input } });
    try {
      const found = await ctx.knowledge.search(collection, query, topK, ctx.signal);
      await ctx.emit({ type: 'tool.end', data: { name: 'knowledge_search', input, output: found } });
      hits.push(...found);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      await ctx.emit({ type: 'tool.end', data: { name: 'knowledge_search', input, error: (err as Error).message, output: [] } });
    }
  }
  const unique = dedupe(hits).sort((a, b) => b.score - a.score);
  for (const hit of unique) {
    await ctx.emit({
      type: 'artifact.update',
      data: {
        type: 'citation_source',
        content: hit.filename,
        document_id: hit.document_id,
        collection_name: hit.collection_name,
        chunk_index: hit.chunk_index,
        score: hit.score,
      },
    });
  }
  return unique;
}

function dedupe(hits: KnowledgeHit[]): KnowledgeHit[] {
  const seen = new Map<string, KnowledgeHit>();
  for (const h of hits) {
    const key = `${h.document_id}:${h.chunk_index}`;
    if (!seen.has(key)) seen.set(key, h);
  }
  return [...seen.values()];
}

/**
 * Streams the default model's answer as llm.chunk events and returns the full text. With the catalogue
 * (`ctx.models`), `llm.end` also carries the call's `usage` and `cost`.
 */
export async function streamAnswer(ctx: AgentContext, messages: ChatMessage[], step: string): Promise<string> {
  const { llm, models } = ctx;
  if (!llm) throw new Error('no model configured');
  const stream = models?.catalogue.get(llm.model) ? models.stream({ messages, model: llm.model, signal: ctx.signal }) : null;
  await ctx.emit({ type: 'llm.start', data: { model: llm.model, step } });
  let text = '';
  // Not awaited one by one: the event log batches a burst of tokens into one write.
  const pending = new PendingEmits();
  for await (const token of stream ?? llm.stream(messages, ctx.signal)) {
    text += token;
    pending.add(ctx.emit({ type: 'llm.chunk', data: { content: token, step } }));
  }
  await pending.settle();
  const spent = stream ? await stream.result() : null;
  await ctx.emit({ type: 'llm.end', data: { model: llm.model, step, length: text.length, ...(spent ? { usage: spent.usage, cost: spent.cost } : {}) } });
  return text;
}

export function passagesPrompt(hits: KnowledgeHit[]): string {
  if (hits.length === 0) return 'No documents were found for this question.';
  return hits.map((h, i) => `[${i + 1}] (${h.filename}) ${h.text}`).join('\n\n');
}

/** Without a model: answer with the best passages themselves, cited by filename. */
export function extractiveAnswer(question: string, hits: KnowledgeHit[], maxPassages = 3): string {
  if (hits.length === 0) return `No relevant passages were found for "${question}".`;
  return hits
    .slice(0, maxPassages)
    .map((h) => `- ${h.text.replace(/\s+/g, ' ').trim().slice(0, 500)} [${h.filename}]`)
    .join('\n');
}

export function sourcesSection(hits: KnowledgeHit[]): string {
  const files = [...new Set(hits.map((h) => h.filename))];
  return files.length ? `\n\n## Sources\n${files.map((f, i) => `${i + 1}. ${f}`).join('\n')}` : '';
}

export async function citeUses(ctx: AgentContext, report: string, hits: KnowledgeHit[]): Promise<void> {
  const used = [...new Set(hits.map((h) => h.filename))].filter((f) => report.includes(f));
  for (const filename of used) {
    await ctx.emit({ type: 'artifact.update', data: { type: 'citation_use', content: filename } });
  }
}

export const NO_MODEL_NOTE = '_No language model was configured (LLM_BASE_URL is unset); this answer is extractive._';
