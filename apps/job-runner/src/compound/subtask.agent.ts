import { Agent, PendingEmits, type AgentContext, type AgentImplementation } from '@platform/agent-registry';

const SYSTEM =
  'You carry out one step of a larger task. Do exactly your step, using the results of earlier steps when they are given, and answer with its result only.';

/**
 * One subtask of a compound task (a child job): one streamed model call on the catalogue tier the plan
 * asked for (`tier_hint`), its tokens as `llm.chunk`, and `llm.end` with the model, its tier, the usage
 * and the cost — which the parent reads back. Without a model it answers that none is configured.
 */
@Agent({ agent_type: 'subtask', description: "One step of a compound task: a model call on the plan's tier (started by the compound agent)" })
export class SubtaskAgent implements AgentImplementation {
  async run(ctx: AgentContext): Promise<string> {
    const hint = Number(ctx.options.tier_hint);
    const tier = Number.isInteger(hint) && hint >= 1 && hint <= 3 ? hint : 2;
    if (!ctx.models) {
      const text = 'No model is configured, so this step was not carried out by a model.';
      await ctx.emit({ type: 'llm.end', data: { model: null, tier: null, cost: 0 } });
      return text;
    }
    const stream = ctx.models.stream({
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: ctx.input },
      ],
      tier,
      signal: ctx.signal,
    });
    await ctx.emit({ type: 'llm.start', data: { model: stream.model.name, tier: stream.model.tier, tier_hint: tier } });
    const pending = new PendingEmits();
    for await (const token of stream) pending.add(ctx.emit({ type: 'llm.chunk', data: { content: token } }));
    await pending.settle();
    const res = await stream.result();
    await ctx.emit({ type: 'llm.end', data: { model: res.model, tier: stream.model.tier, usage: res.usage, cost: res.cost } });
    return res.text;
  }
}
