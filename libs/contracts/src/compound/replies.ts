/* Compound task replies: the seed's response models (003), field for field. */

/** A task's status: `planning` (ours: the plan does not exist yet) → `planned` → `executing` → `completed` | `partial` | `failed` | `cancelled`. */
export type CompoundTaskStatus = 'planning' | 'planned' | 'executing' | 'completed' | 'partial' | 'failed' | 'cancelled';
export type SubtaskStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled';

/** `POST /task/compound` (the seed's CompoundTaskResponse). */
export interface CompoundTaskAccepted {
  id: string;
  status: CompoundTaskStatus;
  subtask_count: number;
}

/** The seed's SubtaskSnapshot. */
export interface SubtaskSnapshot {
  /** `<task id>-sub-<index>`: also the id of the subtask's child job once it exists. */
  id: string;
  index: number;
  description: string;
  tier_hint: number;
  tier_assigned: number | null;
  model: string | null;
  depends_on: number[];
  status: SubtaskStatus;
  result: string | null;
  cost: number | null;
  started_at: string | null;
  completed_at: string | null;
}

/** `GET /task/{id}/progress` (the seed's TaskProgressResponse). */
export interface TaskProgress {
  id: string;
  prompt: string;
  status: CompoundTaskStatus;
  reasoning: string;
  subtasks: SubtaskSnapshot[];
  created_at: string;
  planned_at: string;
  completed_at: string | null;
  total_cost: number;
}

/** One entry of `GET /tasks/recent` (the seed's TaskSummary). */
export interface TaskSummary {
  id: string;
  prompt: string;
  status: CompoundTaskStatus;
  subtask_count: number;
  completed_count: number;
  total_cost: number;
  created_at: string;
  completed_at: string | null;
}

export interface RecentTasks {
  tasks: TaskSummary[];
}

export interface CancelTaskReply {
  id: string;
  status: CompoundTaskStatus;
}
