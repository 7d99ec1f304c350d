import type { CancelTaskReply, CompoundTaskAccepted, RecentTasks, TaskProgress } from './replies';
import type { CompoundTaskRef, RecentTasksRequest, SubmitCompoundCommand } from './requests';

/**
 * Compound tasks (seed 003), answered by job-runner's queue group. A task is a parent job of agent type
 * `compound` whose id is the task id; its subtasks are child jobs. Streams go through the job engine's own subjects.
 */
export const CompoundSubjects = {
  submit: 'compound.submit',
  progress: 'compound.progress',
  recent: 'compound.recent',
  cancel: 'compound.cancel',
} as const;

export interface CompoundRpc {
  'compound.submit': { request: SubmitCompoundCommand; reply: CompoundTaskAccepted };
  'compound.progress': { request: CompoundTaskRef; reply: TaskProgress };
  'compound.recent': { request: RecentTasksRequest; reply: RecentTasks };
  'compound.cancel': { request: CompoundTaskRef; reply: CancelTaskReply };
}
