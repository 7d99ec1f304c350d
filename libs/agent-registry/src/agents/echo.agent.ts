import { Agent } from '../registry';
import type { AgentContext, AgentImplementation } from '../agent';

/** Streams "Your input is {input}." back word by word: the smallest agent that exercises the whole event path. */
@Agent({ agent_type: 'echo', description: 'Echoes the input back as a stream of llm.chunk events' })
export class EchoAgent implements AgentImplementation {
  async run(ctx: AgentContext): Promise<string> {
    const answer = `Your input is ${ctx.input}.`;
    await ctx.emit({ type: 'workflow.start', data: { name: 'echo' } });
    await ctx.emit({ type: 'llm.start', data: { model: 'echo' } });
    const pending: Promise<void>[] = [];
    for (const token of answer.match(/\S+\s*/g) ?? []) {
      ctx.signal.throwIfAborted();
      pending.push(ctx.emit({ type: 'llm.chunk', data: { content: token } }));
    }
    await Promise.all(pending);
    await ctx.emit({ type: 'llm.end', data: { model: 'echo' } });
    await ctx.emit({ type: 'artifact.update', data: { type: 'output', content: answer } });
    await ctx.emit({ type: 'workflow.end', data: { name: 'echo' } });
    return answer;
  }
}
