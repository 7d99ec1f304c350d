import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { NewJobEvent } from '@platform/contracts';
import type { AgentContext, KnowledgeHit, LlmClient } from './agent';
import { AgentRegistryModule } from './agent-registry.module';
import { BuiltInAgentsModule } from './agents/built-in-agents.module';
import { Agent, AgentRegistry } from './registry';

function context(input: string, opts: { hits?: KnowledgeHit[]; llm?: LlmClient | null; collections?: string[] } = {}) {
  const events: NewJobEvent[] = [];
  const ctx: AgentContext = {
    jobId: 'j',
    input,
    options: { collections: opts.collections },
    emit: async (e) => void events.push(e),
    signal: new AbortController().signal,
    llm: opts.llm ?? null,
    models: null,
    knowledge: { search: async () => opts.hits ?? [] },
  };
  return { ctx, events };
}

@Agent({ agent_type: 'custom', description: 'contributed by another module' })
class CustomAgent {
  async run() {
    return 'custom';
  }
}

describe('agent registry', () => {
  it('discovers built-in and contributed agents without a central list', async () => {
    const m = await Test.createTestingModule({ imports: [AgentRegistryModule, BuiltInAgentsModule], providers: [CustomAgent] }).compile();
    await m.init();
    const registry = m.get(AgentRegistry);
    expect(registry.list().map((a) => a.agent_type)).toEqual(['custom', 'deep_researcher', 'echo', 'shallow_researcher']);
    const { ctx, events } = context('hi');
    expect(await registry.get('echo')!.run(ctx)).toBe('Your input is hi.');
    expect(
      events
        .filter((e) => e.type === 'llm.chunk')
        .map((e) => e.data.content)
        .join(''),
    ).toBe('Your input is hi.');
  });

  it('shallow researcher cites what it found and says no model was configured', async () => {
    const m = await Test.createTestingModule({ imports: [AgentRegistryModule, BuiltInAgentsModule] }).compile();
    await m.init();
    const hits: KnowledgeHit[] = [
      { document_id: 'd1', filename: 'guide.md', collection_name: 'docs', chunk_index: 0, text: 'Quantum bits hold superpositions.', score: 0.9 },
    ];
    const { ctx, events } = context('what are qubits', { hits, collections: ['docs'] });
    const report = await m.get(AgentRegistry).get('shallow_researcher')!.run(ctx);
    expect(report).toContain('guide.md');
    expect(report).toContain('No language model was configured');
    expect(events.find((e) => e.type === 'tool.end')?.data.output).toEqual(hits);
    expect(events.some((e) => e.type === 'artifact.update' && e.data.type === 'citation_source' && e.data.content === 'guide.md')).toBe(true);
    expect(events.some((e) => e.type === 'artifact.update' && e.data.type === 'citation_use')).toBe(true);
  });

  it('streams model tokens as llm.chunk events when a model is configured', async () => {
    const m = await Test.createTestingModule({ imports: [AgentRegistryModule, BuiltInAgentsModule] }).compile();
    await m.init();
    const llm: LlmClient = {
      model: 'fake',
      async *stream() {
        yield 'Hello ';
        yield 'world';
      },
    };
    const { ctx, events } = context('q', { llm });
    const report = await m.get(AgentRegistry).get('shallow_researcher')!.run(ctx);
    expect(events.filter((e) => e.type === 'llm.chunk').map((e) => e.data.content)).toEqual(['Hello ', 'world']);
    expect(report).toContain('Hello world');
  });
});
