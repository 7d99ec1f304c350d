import { Agent } from '../registry';
import type { AgentContext, AgentImplementation, KnowledgeHit } from '../agent';
import { citeUses, extractiveAnswer, NO_MODEL_NOTE, passagesPrompt, searchCollections, sourcesSection, streamAnswer } from '../research';

const LOOPS = 3;

/** Several research loops over sub-questions, tracked as a todo list, then one structured report. */
@Agent({ agent_type: 'deep_researcher', description: 'Performs comprehensive multi-loop deep research' })
export class DeepResearcherAgent implements AgentImplementation {
  async run(ctx: AgentContext): Promise<string> {
    await ctx.emit({ type: 'workflow.start', data: { name: 'deep_researcher' } });
    const questions = await this.plan(ctx);
    const todos = questions.map((q, i) => ({ id: i + 1, task: q, status: 'pending' }));
    todos.push({ id: todos.length + 1, task: 'Write the final report', status: 'pending' });
    await ctx.emit({ type: 'artifact.update', data: { type: 'todo', content: todos } });

    const findings: { question: string; hits: KnowledgeHit[]; summary: string }[] = [];
    for (const [i, question] of questions.entries()) {
      ctx.signal.throwIfAborted();
      todos[i].status = 'in_progress';
      await ctx.emit({ type: 'artifact.update', data: { type: 'todo', content: todos } });
      await ctx.emit({ type: 'workflow.start', data: { name: 'research_loop', loop: i + 1, question } });
      const hits = await searchCollections(ctx, question, 4);
      const summary = ctx.llm
        ? await streamAnswer(
            ctx,
            [
              { role: 'system', content: 'Summarise what the passages say about the question in a short paragraph. Cite filenames in square brackets.' },
              { role: 'user', content: `Question: ${question}\n\nPassages:\n${passagesPrompt(hits)}` },
            ],
            `loop_${i + 1}`,
          )
        : extractiveAnswer(question, hits, 2);
      findings.push({ question, hits, summary });
      await ctx.emit({ type: 'workflow.end', data: { name: 'research_loop', loop: i + 1 } });
      todos[i].status = 'completed';
      await ctx.emit({ type: 'artifact.update', data: { type: 'todo', content: todos } });
    }

    const last = todos[todos.length - 1];
    last.status = 'in_progress';
    await ctx.emit({ type: 'artifact.update', data: { type: 'todo', content: todos } });
    const allHits = findings.flatMap((f) => f.hits);
    const sections = findings.map((f) => `## ${f.question}\n\n${f.summary}`).join('\n\n');
    let conclusion: string;
    if (ctx.llm) {
      conclusion = await streamAnswer(
        ctx,
        [
          { role: 'system', content: 'Write the conclusion of a research report from these findings. Cite filenames in square brackets.' },
          { role: 'user', content: `Topic: ${ctx.input}\n\n${sections}` },
        ],
        'report',
      );
    } else {
      conclusion = NO_MODEL_NOTE;
    }
    const report = `# ${ctx.input}\n\n${sections}\n\n## Conclusion\n\n${conclusion}${sourcesSection(allHits)}`;
    await citeUses(ctx, report, allHits);
    last.status = 'completed';
    await ctx.emit({ type: 'artifact.update', data: { type: 'todo', content: todos } });
    await ctx.emit({ type: 'artifact.update', data: { type: 'output', content: report } });
    await ctx.emit({ type: 'workflow.end', data: { name: 'deep_researcher' } });
    return report;
  }

  /** Sub-questions: asked of the model when there is one, otherwise derived from the topic. */
  private async plan(ctx: AgentContext): Promise<string[]> {
    const fallback = [ctx.input, `Background and definitions: ${ctx.input}`, `Open problems and trends: ${ctx.input}`].slice(0, LOOPS);
    if (!ctx.llm) return fallback;
    const text = await streamAnswer(
      ctx,
      [
        { role: 'system', content: `List ${LOOPS} research sub-questions for the topic, one per line, no numbering.` },
        { role: 'user', content: ctx.input },
      ],
      'plan',
    );
    const lines = text
      .split('\n')
      .map((l) => l.replace(/^[-*\d.)\s]+/, '').trim())
      .filter(Boolean);
    return lines.length ? lines.slice(0, LOOPS) : fallback;
  }
}
