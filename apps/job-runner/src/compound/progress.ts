import {
  isTerminal,
  type CompoundTaskStatus,
  type JobEvent,
  type JobStatus,
  type SubtaskSnapshot,
  type SubtaskStatus,
  type TaskProgress,
  type TaskSummary,
} from '@platform/contracts';
import type { Plan, PlannedSubtask } from './planner';

/*
 * A compound task's progress as a projection — never held in memory: the parent job's log (`task.plan`,
 * then `task.subtask` records) plus the child jobs' rows. The compound agent decides its next step from
 * the same projection, so a re-run after a crash continues exactly where the log and the children are.
 */

/** What a child job says about its subtask. */
export interface ChildJob {
  index: number;
  job_id: string;
  status: JobStatus;
  started_at: string | null;
  finished_at: string | null;
  /** The child's answer (its job report). */
  report: string | null;
  error: string | null;
  /** From the child's `llm.end`, when read (null: not known from the row alone). */
  outcome?: ChildOutcome | null;
}

export interface ChildOutcome {
  model: string | null;
  tier_assigned: number | null;
  cost: number;
}

/** `task.subtask` data: a subtask's start or its end, recorded in the parent's log. */
export interface SubtaskRecord {
  index: number;
  status: SubtaskStatus;
  job_id?: string;
  result?: string | null;
  error?: string | null;
  cost?: number | null;
  model?: string | null;
  tier_assigned?: number | null;
}

export const FINAL_SUBTASK: ReadonlySet<SubtaskStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled']);

export interface ParentJob {
  id: string;
  input: string;
  status: JobStatus;
  created_at: string;
  finished_at: string | null;
}

export function planOf(events: readonly JobEvent[]): (Plan & { planned_at: string }) | null {
  const e = events.find((x) => x.type === 'task.plan');
  return e ? { ...(e.data as unknown as Plan), planned_at: e.timestamp } : null;
}

/** The last record of each subtask in the parent's log (a start, replaced by its end). */
export function recordsOf(events: readonly JobEvent[]): Map<number, SubtaskRecord & { at: string }> {
  const out = new Map<number, SubtaskRecord & { at: string }>();
  for (const e of events) {
    if (e.type !== 'task.subtask') continue;
    const r = e.data as unknown as SubtaskRecord;
    const prior = out.get(r.index);
    if (prior && FINAL_SUBTASK.has(prior.status)) continue; // an end is never replaced
    out.set(r.index, { ...r, at: e.timestamp });
  }
  return out;
}

const CHILD_STATUS: Record<JobStatus, SubtaskStatus> = {
  submitted: 'running',
  running: 'running',
  success: 'completed',
  failure: 'failed',
  interrupted: 'cancelled',
};

export interface Projection {
  progress: TaskProgress;
  /** Subtasks whose child job has ended but whose end the parent's log does not record yet. */
  unrecorded: number[];
}

/** The task's progress from its parent job, the parent's log and its children. */
export function project(parent: ParentJob, events: readonly JobEvent[], children: readonly ChildJob[]): Projection {
  const plan = planOf(events);
  const records = recordsOf(events);
  const byIndex = new Map(children.map((c) => [c.index, c]));
  const cancelled = parent.status === 'interrupted';
  const parentFailed = parent.status === 'failure';
  const subtasks: SubtaskSnapshot[] = [];
  const unrecorded: number[] = [];
  for (const [index, planned] of (plan?.subtasks ?? []).entries()) {
    const rec = records.get(index);
    const child = byIndex.get(index);
    const snap = snapshot(parent.id, index, planned);
    if (child) {
      snap.started_at = child.started_at;
      snap.completed_at = child.finished_at;
    }
    if (rec && FINAL_SUBTASK.has(rec.status)) {
      Object.assign(snap, {
        status: rec.status,
        result: rec.result ?? (rec.status === 'completed' ? '' : (rec.error ?? null)),
        cost: rec.cost ?? null,
        model: rec.model ?? null,
        tier_assigned: rec.tier_assigned ?? null,
      });
      if (!child && rec.status !== 'completed') snap.completed_at = rec.at;
    } else if (child) {
      snap.status = CHILD_STATUS[child.status];
      if (snap.status !== 'running') {
        unrecorded.push(index);
        snap.result = child.status === 'success' ? (child.report ?? '') : child.error;
        if (child.outcome) Object.assign(snap, { cost: child.outcome.cost, model: child.outcome.model, tier_assigned: child.outcome.tier_assigned });
      } else if (cancelled) snap.status = 'cancelled';
      else if (parentFailed) snap.status = 'failed';
    } else if (cancelled) snap.status = 'cancelled';
    else if (planned.depends_on.some((d) => ['failed', 'skipped', 'cancelled'].includes(subtasks[d]?.status))) snap.status = 'skipped';
    else if (parentFailed) snap.status = 'failed';
    subtasks.push(snap);
  }
  const progress: TaskProgress = {
    id: parent.id,
    prompt: parent.input,
    status: taskStatus(parent, plan !== null, subtasks),
    reasoning: plan?.reasoning ?? '',
    subtasks,
    created_at: parent.created_at,
    planned_at: plan?.planned_at ?? parent.created_at,
    completed_at: null,
    total_cost: roundCost(subtasks.reduce((sum, s) => sum + (s.cost ?? 0), 0)),
  };
  if (isTerminal(parent.status)) progress.completed_at = parent.finished_at ?? lastTime(subtasks) ?? null;
  return { progress, unrecorded };
}

function snapshot(taskId: string, index: number, planned: PlannedSubtask): SubtaskSnapshot {
  return {
    id: subtaskId(taskId, index),
    index,
    description: planned.description,
    tier_hint: planned.tier_hint,
    tier_assigned: null,
    model: null,
    depends_on: planned.depends_on,
    status: 'pending',
    result: null,
    cost: null,
    started_at: null,
    completed_at: null,
  };
}

function taskStatus(parent: ParentJob, planned: boolean, subtasks: SubtaskSnapshot[]): CompoundTaskStatus {
  if (parent.status === 'interrupted') return 'cancelled';
  if (!planned) return parent.status === 'failure' || parent.status === 'success' ? 'failed' : 'planning';
  const done = subtasks.filter((s) => s.status === 'completed').length;
  // Final once the parent job has ended too (it still writes its report after the last subtask), so completed_at never moves.
  if (isTerminal(parent.status) && subtasks.every((s) => FINAL_SUBTASK.has(s.status)))
    return done === subtasks.length ? 'completed' : done === 0 ? 'failed' : 'partial';
  return subtasks.some((s) => s.status !== 'pending') ? 'executing' : 'planned';
}

function lastTime(subtasks: SubtaskSnapshot[]): string | undefined {
  return subtasks
    .map((s) => s.completed_at)
    .filter((t): t is string => !!t)
    .sort()
    .at(-1);
}

/** Costs are sums of small floats: 12 decimals keep them exact enough and free of binary noise. */
export const roundCost = (n: number): number => Math.round(n * 1e12) / 1e12;

/** A subtask's id, which is also its child job's id: `<task id>-sub-<n>` (a hash of a long parent id keeps it within 64 characters). */
export function subtaskId(taskId: string, index: number): string {
  const id = `${taskId}-sub-${index}`;
  if (id.length <= 64) return id;
  let h = 0x811c9dc5;
  for (const c of taskId) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return `${taskId.slice(0, 40)}-${h.toString(16)}-sub-${index}`;
}

export function summaryOf(p: TaskProgress): TaskSummary {
  return {
    id: p.id,
    prompt: p.prompt,
    status: p.status,
    subtask_count: p.subtasks.length,
    completed_count: p.subtasks.filter((s) => s.status === 'completed').length,
    total_cost: p.total_cost,
    created_at: p.created_at,
    completed_at: p.completed_at,
  };
}
