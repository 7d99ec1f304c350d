import { Agent } from '../registry';
import type { AgentContext, AgentImplementation } from '../agent';

/** Streams "Your input is {input}." back word by word: the smallest agent that exercises the whole event path. */
@Agent({ agent_type: 'echo', description: 'Echoes the input back as a stream of llm.chunk events' })
export class EchoAgent implements AgentImplementation {
  async run(ctx: AgentContext): Promise<string> {
    const answer = `Your input is ${ctx.input}.`;
    ctx.signal.throwIfAborted();
    // Nothing here waits on the outside world, so every event is handed to the log at once: the
    // writer turns the whole run into one or two batched writes, still in this order.
    const emitted = [
      ctx.emit({ type: 'workflow.start', data: { name: 'echo' } }),
      ctx.emit({ type: 'llm.start', data: { model: 'echo' } }),
      ...(answer.match(/\S+\s*/g) ?? []).map((token) => ctx.emit({ type: 'llm.chunk', data: { content: token } })),
      ctx.emit({ type: 'llm.end', data: { model: 'echo' } }),
      ctx.emit({ type: 'artifact.update', data: { type: 'output', content: answer } }),
      ctx.emit({ type: 'workflow.end', data: { name: 'echo' } }),
    ];
    await Promise.all(emitted);
    return answer;
  }
}
