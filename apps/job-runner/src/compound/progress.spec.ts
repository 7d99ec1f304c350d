import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import type { JobEvent, JobStatus } from '@platform/contracts';
import { project, subtaskId, summaryOf, type ChildJob, type ParentJob } from './progress';

let seq = 0;
const ev = (type: JobEvent['type'], data: Record<string, unknown>, timestamp = `2026-01-01T00:00:${String(++seq).padStart(2, '0')}.000Z`): JobEvent => ({
  seq,
  type,
  timestamp,
  data,
});
const parent = (status: JobStatus = 'running', finished_at: string | null = null): ParentJob => ({
  id: 'compound-0123456789ab',
  input: 'Search for X and Y, then summarize',
  status,
  created_at: '2026-01-01T00:00:00.000Z',
  finished_at,
});
const PLAN = ev('task.plan', {
  reasoning: 'two searches, then a summary',
  planner: 'model',
  subtasks: [
    { description: 'Search for X', tier_hint: 1, depends_on: [] },
    { description: 'Search for Y', tier_hint: 1, depends_on: [] },
    { description: 'summarize', tier_hint: 3, depends_on: [0, 1] },
  ],
});
const child = (index: number, status: JobStatus, extra: Partial<ChildJob> = {}): ChildJob => ({
  index,
  job_id: `compound-0123456789ab-sub-${index}`,
  status,
  started_at: '2026-01-01T00:01:00.000Z',
  finished_at: ['success', 'failure', 'interrupted'].includes(status) ? '2026-01-01T00:02:00.000Z' : null,
  report: status === 'success' ? `answer ${index}` : null,
  error: status === 'failure' ? 'mock model failure 500' : null,
  ...extra,
});
const done = (index: number, cost: number, extra: Record<string, unknown> = {}) =>
  ev('task.subtask', {
    index,
    status: 'completed',
    job_id: `compound-0123456789ab-sub-${index}`,
    result: `answer ${index}`,
    cost,
    model: 'small',
    tier_assigned: 1,
    ...extra,
  });

describe('compound task progress (projection of the parent log and the children)', () => {
  it('planning until the plan is logged', () => {
    const { progress } = project(parent(), [ev('job.status', { status: 'running' })], []);
    expect(progress).toMatchObject({ status: 'planning', subtasks: [], reasoning: '', total_cost: 0, planned_at: '2026-01-01T00:00:00.000Z' });
  });

  it('planned → executing: running children, pending ones waiting on them', () => {
    const planned = project(parent(), [PLAN], []).progress;
    expect(planned.status).toBe('planned');
    expect(planned.planned_at).toBe(PLAN.timestamp);
    expect(planned.subtasks.map((s) => [s.id, s.status, s.depends_on])).toEqual([
      ['compound-0123456789ab-sub-0', 'pending', []],
      ['compound-0123456789ab-sub-1', 'pending', []],
      ['compound-0123456789ab-sub-2', 'pending', [0, 1]],
    ]);
    const executing = project(parent(), [PLAN], [child(0, 'running'), child(1, 'submitted')]).progress;
    expect(executing.status).toBe('executing');
    expect(executing.subtasks.map((s) => s.status)).toEqual(['running', 'running', 'pending']);
    expect(executing.subtasks[0].started_at).toBe('2026-01-01T00:01:00.000Z');
  });

  it('completed: results and costs from the records; total_cost sums them; completed_at is the end of the parent job', () => {
    const events = [PLAN, done(0, 0.25), done(1, 0.5), done(2, 1.125, { model: 'large', tier_assigned: 3 })];
    const children = [child(0, 'success'), child(1, 'success'), child(2, 'success')];
    const { progress, unrecorded } = project(parent('success', '2026-01-01T00:03:00.000Z'), events, children);
    expect(unrecorded).toEqual([]);
    expect(progress.status).toBe('completed');
    expect(progress.total_cost).toBe(1.875);
    expect(progress.completed_at).toBe('2026-01-01T00:03:00.000Z');
    expect(progress.subtasks[2]).toEqual({
      id: 'compound-0123456789ab-sub-2',
      index: 2,
      description: 'summarize',
      tier_hint: 3,
      tier_assigned: 3,
      model: 'large',
      depends_on: [0, 1],
      status: 'completed',
      result: 'answer 2',
      cost: 1.125,
      started_at: '2026-01-01T00:01:00.000Z',
      completed_at: '2026-01-01T00:02:00.000Z',
    });
    expect(summaryOf(progress)).toEqual({
      id: 'compound-0123456789ab',
      prompt: 'Search for X and Y, then summarize',
      status: 'completed',
      subtask_count: 3,
      completed_count: 3,
      total_cost: 1.875,
      created_at: '2026-01-01T00:00:00.000Z',
      completed_at: '2026-01-01T00:03:00.000Z',
    });
  });

  it('a failed subtask skips what depends on it: partial; none completed: failed', () => {
    const partial = project(parent(), [PLAN, done(0, 0.1)], [child(0, 'success'), child(1, 'failure')]);
    expect(partial.progress.subtasks.map((s) => s.status)).toEqual(['completed', 'failed', 'skipped']);
    expect(partial.progress.subtasks[1].result).toBe('mock model failure 500');
    expect(partial.unrecorded).toEqual([1]);
    // Every subtask has ended, but the parent job still writes its report: executing until it ends.
    expect(partial.progress).toMatchObject({ status: 'executing', completed_at: null });
    const ended = project(parent('success', '2026-01-01T00:05:00.000Z'), [PLAN, done(0, 0.1)], [child(0, 'success'), child(1, 'failure')]);
    expect(ended.progress).toMatchObject({ status: 'partial', completed_at: '2026-01-01T00:05:00.000Z' });
    const failed = project(parent('failure', '2026-01-01T00:05:00.000Z'), [PLAN], [child(0, 'failure'), child(1, 'failure')]);
    expect(failed.progress.status).toBe('failed');
    expect(failed.progress.subtasks[2].status).toBe('skipped');
  });

  it('an ended child not yet recorded by the parent (it crashed) counts with the outcome read from its log', () => {
    const { progress, unrecorded } = project(
      parent(),
      [PLAN, done(0, 0.25)],
      [child(0, 'success'), child(1, 'success', { outcome: { cost: 0.5, model: 'small', tier_assigned: 1 } })],
    );
    expect(unrecorded).toEqual([1]);
    expect(progress.subtasks[1]).toMatchObject({ status: 'completed', result: 'answer 1', cost: 0.5, model: 'small' });
    expect(progress.total_cost).toBe(0.75);
    expect(progress.subtasks[2].status).toBe('pending');
  });

  it('cancelled: running children cancelled with the parent, pending ones cancelled, completed ones kept', () => {
    const { progress } = project(parent('interrupted', '2026-01-01T00:04:00.000Z'), [PLAN, done(0, 0.25)], [child(0, 'success'), child(1, 'interrupted')]);
    expect(progress.status).toBe('cancelled');
    expect(progress.subtasks.map((s) => s.status)).toEqual(['completed', 'cancelled', 'cancelled']);
    expect(progress.completed_at).toBe('2026-01-01T00:04:00.000Z');
  });

  it('a record of a start never hides the end a later record gives', () => {
    const started = ev('task.subtask', { index: 0, status: 'running', job_id: 'x' });
    const { progress } = project(parent(), [PLAN, started, done(0, 0.25), started], [child(0, 'success')]);
    expect(progress.subtasks[0].status).toBe('completed');
  });

  it('subtask ids stay within the 64 characters of a job id', () => {
    expect(subtaskId('compound-0123456789ab', 7)).toBe('compound-0123456789ab-sub-7');
    const long = subtaskId('x'.repeat(64), 7);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/-sub-7$/);
    expect(subtaskId('y'.repeat(64), 7)).not.toBe(long);
  });
});
