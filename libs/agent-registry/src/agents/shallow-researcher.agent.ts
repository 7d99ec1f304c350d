import { Agent } from '../registry';
import type { AgentContext, AgentImplementation } from '../agent';
import { citeUses, extractiveAnswer, NO_MODEL_NOTE, passagesPrompt, searchCollections, sourcesSection, streamAnswer } from '../research';

/** One pass: plan, search the job's collections, answer with citations. */
@Agent({ agent_type: 'shallow_researcher', description: 'Performs quick single-turn research' })
export class ShallowResearcherAgent implements AgentImplementation {
  async run(ctx: AgentContext): Promise<string> {
    await ctx.emit({ type: 'workflow.start', data: { name: 'shallow_researcher' } });
    const plan = [
      { id: 1, task: 'Search the knowledge collections', status: 'in_progress' },
      { id: 2, task: 'Write the answer', status: 'pending' },
    ];
    await ctx.emit({ type: 'artifact.update', data: { type: 'todo', content: plan } });
    const hits = await searchCollections(ctx, ctx.input, 5);
    plan[0].status = 'completed';
    plan[1].status = 'in_progress';
    await ctx.emit({ type: 'artifact.update', data: { type: 'todo', content: plan } });

    let body: string;
    if (ctx.llm) {
      body = await streamAnswer(
        ctx,
        [
          { role: 'system', content: 'Answer the question using the passages. Cite sources by their filename in square brackets.' },
          { role: 'user', content: `Question: ${ctx.input}\n\nPassages:\n${passagesPrompt(hits)}` },
        ],
        'answer',
      );
    } else {
      body = `${extractiveAnswer(ctx.input, hits)}\n\n${NO_MODEL_NOTE}`;
    }
    const report = `# ${ctx.input}\n\n${body}${sourcesSection(hits)}`;
    await citeUses(ctx, report, hits);
    plan[1].status = 'completed';
    await ctx.emit({ type: 'artifact.update', data: { type: 'todo', content: plan } });
    await ctx.emit({ type: 'artifact.update', data: { type: 'output', content: report } });
    await ctx.emit({ type: 'workflow.end', data: { name: 'shallow_researcher' } });
    return report;
  }
}
