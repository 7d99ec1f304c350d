import { Inject, Logger } from '@nestjs/common';
import { Agent, type AgentContext, type AgentImplementation, type ChatMessage } from '@platform/agent-registry';
import type { SubtaskSnapshot } from '@platform/contracts';
import { JobQueue } from '../jobs/job-queue';
import type { JobEntity } from '../jobs/job.entity';
import { JobStore } from '../jobs/job.store';
import { JobRunnerConfig } from '../config';
import { COMPOUND_AGENT, CompoundTasks, SUBTASK_AGENT } from './compound-tasks';
import { deterministicPlan, parsePlan, type Plan } from './planner';
import { FINAL_SUBTASK, planOf, recordsOf, type SubtaskRecord } from './progress';

/** How often a running task looks at its children. */
const POLL_MS = 150;
/** The share of COMPOUND_PLAN_TIMEOUT_MS the model's planning attempts may use (the rest is for the fallback and the reply). */
const MODEL_PLAN_SHARE = 0.8;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

const messageOf = (err: unknown) => (err as Error)?.message ?? String(err);

export function planningMessages(prompt: string, maxSubtasks: number): ChatMessage[] {
  return [
    {
      role: 'system',
      content: [
        `You plan tasks. Break the user's request into 1 to ${maxSubtasks} subtasks, each one a self-contained instruction a language model can carry out; make subtasks independent where possible, so they run in parallel.`,
        'Reply with one JSON object and nothing else: {"reasoning": string, "subtasks": [{"description": string, "tier_hint": 1 | 2 | 3, "depends_on": [indices of earlier subtasks whose results it needs]}]}.',
        'tier_hint: 1 simple and fast, 2 moderate, 3 the hardest reasoning or writing. depends_on may only name earlier subtasks (smaller indices).',
      ].join('\n'),
    },
    { role: 'user', content: prompt },
  ];
}

/** The child's prompt: the overall task, its own step, and the results of the steps it depends on. */
export function subtaskInput(prompt: string, description: string, dependencies: Pick<SubtaskSnapshot, 'index' | 'description' | 'result'>[]): string {
  const parts = [`Overall task: ${prompt}`, `Your step: ${description}`];
  if (dependencies.length) {
    parts.push('Results of the earlier steps this one builds on:', ...dependencies.map((d) => `--- Step ${d.index}: ${d.description}\n${d.result ?? ''}`));
  }
  return parts.join('\n\n');
}

/**
 * A compound task (seed 003): plans the prompt into subtasks (the tier-1 model's JSON plan, checked,
 * retried once, else the deterministic planner), then runs each subtask as a child job of agent type
 * `subtask` as soon as its dependencies completed, up to COMPOUND_MAX_PARALLEL at once.
 *
 * Nothing is kept in memory between steps: each step re-reads the projection of this job's log and its
 * children (progress.ts). A re-run after a crash therefore reuses the plan, never starts a child twice
 * (children are unique per parent and index), records the ends it missed and waits for children still
 * running (their own jobs retry them).
 */
@Agent({
  agent_type: COMPOUND_AGENT,
  description: 'Plans a task into subtasks and runs them as child jobs, in parallel where they do not depend on each other',
})
export class CompoundAgent implements AgentImplementation {
  private readonly logger = new Logger(CompoundAgent.name);

  constructor(
    private readonly store: JobStore,
    private readonly queue: JobQueue,
    private readonly tasks: CompoundTasks,
    @Inject(JobRunnerConfig) private readonly config: JobRunnerConfig,
  ) {}

  async run(ctx: AgentContext): Promise<string> {
    const parent = await this.store.findById(ctx.jobId);
    if (!parent) throw new Error(`job ${ctx.jobId} is gone`);
    if (!planOf(await this.tasks.readLog(ctx.jobId))) {
      const plan = await this.plan(ctx);
      await ctx.emit({ type: 'task.plan', data: { ...plan } });
    }
    for (;;) {
      ctx.signal.throwIfAborted();
      if (await this.step(ctx, parent)) break;
      await sleep(POLL_MS, ctx.signal);
    }
    const { progress } = await this.tasks.projection(parent);
    const done = progress.subtasks.filter((s) => s.status === 'completed');
    const report = progress.subtasks
      .map((s) => `## ${s.index + 1}. ${s.description}\n\n${s.status === 'completed' ? s.result : `_${s.status}${s.result ? `: ${s.result}` : ''}_`}`)
      .join('\n\n');
    await ctx.emit({ type: 'artifact.update', data: { type: 'output', content: report } });
    if (done.length === 0) throw new Error('no subtask completed');
    return report;
  }

  /** One look at the task: record ends and skips, start what is ready. True when every subtask has ended. */
  private async step(ctx: AgentContext, parent: JobEntity): Promise<boolean> {
    const events = await this.tasks.readLog(ctx.jobId);
    const records = recordsOf(events);
    const { progress, unrecorded } = await this.tasks.projection(parent, events);
    const subtasks = progress.subtasks;
    for (const s of subtasks) {
      const recorded = records.get(s.index);
      if (recorded && FINAL_SUBTASK.has(recorded.status)) continue;
      if (unrecorded.includes(s.index) || s.status === 'skipped') await this.record(ctx, s);
    }
    let free = this.config.COMPOUND_MAX_PARALLEL - subtasks.filter((s) => s.status === 'running').length;
    for (const s of subtasks) {
      if (free <= 0) break;
      if (s.status !== 'pending' || !s.depends_on.every((d) => subtasks[d].status === 'completed')) continue;
      ctx.signal.throwIfAborted();
      const input = subtaskInput(
        parent.input,
        s.description,
        s.depends_on.map((d) => subtasks[d]),
      );
      const created = await this.store.createChild(ctx.jobId, s.index, {
        id: s.id,
        agent_type: SUBTASK_AGENT,
        input,
        options: { principal: parent.options.principal, agent_options: { tier_hint: s.tier_hint, task_id: ctx.jobId, index: s.index } },
        expiry_seconds: parent.expiry_seconds,
      });
      if (created) {
        this.queue.offer(s.id);
        await ctx.emit({ type: 'task.subtask', data: { index: s.index, status: 'running', job_id: s.id, tier_hint: s.tier_hint } });
      } else {
        const holder = await this.store.findById(s.id);
        if (holder && holder.parent_job_id !== ctx.jobId) {
          // Only a job submitted under this exact id by other means: the subtask cannot have its child.
          await this.record(ctx, { ...s, status: 'failed', result: `job id ${s.id} is taken by another job` });
        }
        // Otherwise the child exists already (seen next time), or this task is no longer running (cancelled).
      }
      free--;
    }
    return subtasks.every((s) => FINAL_SUBTASK.has(s.status));
  }

  private async record(ctx: AgentContext, s: SubtaskSnapshot): Promise<void> {
    const data: SubtaskRecord = { index: s.index, status: s.status };
    if (s.status === 'completed' || s.status === 'failed' || s.status === 'cancelled') {
      Object.assign(data, { job_id: s.id, result: s.result, cost: s.cost, model: s.model, tier_assigned: s.tier_assigned });
    }
    await ctx.emit({ type: 'task.subtask', data: { ...data } });
  }

  /** The tier-1 model's plan, asked twice at most within the planning budget; else the deterministic one. */
  private async plan(ctx: AgentContext): Promise<Plan & { model?: string; planning_cost?: number }> {
    const max = this.config.COMPOUND_MAX_SUBTASKS;
    if (!ctx.models) return deterministicPlan(ctx.input, max, 'No model is configured.');
    const deadline = Date.now() + this.config.COMPOUND_PLAN_TIMEOUT_MS * MODEL_PLAN_SHARE;
    const messages = planningMessages(ctx.input, max);
    const problems: string[] = [];
    let cost = 0;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const left = Math.floor(deadline - Date.now());
      if (left < 100) {
        problems.push('the planning time ran out');
        break;
      }
      try {
        const res = await ctx.models.chat({ messages, tier: 1, json: true, temperature: 0, timeoutMs: left, signal: ctx.signal });
        cost += res.cost;
        const check = parsePlan(res.text, max);
        if (check.ok) return { ...check.plan, planner: 'model', model: res.model, planning_cost: cost };
        problems.push(`attempt ${attempt}: ${check.error}`);
        messages.push(
          { role: 'assistant', content: res.text.slice(0, 4000) },
          { role: 'user', content: `That plan is invalid: ${check.error}. Reply with the corrected JSON object only.` },
        );
      } catch (err) {
        ctx.signal.throwIfAborted();
        problems.push(`attempt ${attempt}: ${messageOf(err)}`);
      }
    }
    this.logger.warn(`job ${ctx.jobId}: the model's plan was unusable (${problems.join('; ')}); planning deterministically`);
    return {
      ...deterministicPlan(ctx.input, max, `The model's plan was unusable (${problems.join('; ')}), so the deterministic planner was used.`),
      planning_cost: cost,
    };
  }
}
