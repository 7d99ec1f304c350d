/** Event types written to a job's log (AI-Q async job API, "SSE Event Types"). */
export const JOB_EVENT_TYPES = [
  'job.status',
  'job.error',
  'workflow.start',
  'workflow.end',
  'llm.start',
  'llm.chunk',
  'llm.end',
  'tool.start',
  'tool.end',
  'artifact.update',
  /** A compound task's plan (its parent job's log). */
  'task.plan',
  /** A compound task's subtask started (its child job created), finished, skipped or cancelled. */
  'task.subtask',
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

export const JOB_STATUSES = ['submitted', 'running', 'success', 'failure', 'interrupted'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['success', 'failure', 'interrupted'];
export const isTerminal = (s: JobStatus): boolean => TERMINAL_STATUSES.includes(s);

export const ARTIFACT_TYPES = ['todo', 'file', 'citation_source', 'citation_use', 'output'] as const;
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

/** What an agent emits; the log assigns `seq` and `timestamp`. */
export interface NewJobEvent {
  type: JobEventType;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** An event as stored and as published: the SSE `id:` is `seq`. */
export interface JobEvent {
  seq: number;
  type: JobEventType;
  timestamp: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** The `jobs.abort.<job_id>` broadcast: stop the run of this job if it is here. */
export interface JobAbort {
  job_id: string;
  reason?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A shape check, not a full validation: live events come from job-runner and are checked per event on the hot path. */
export function isJobEvent(v: unknown): v is JobEvent {
  return isObject(v) && typeof v.seq === 'number' && typeof v.type === 'string' && typeof v.timestamp === 'string' && isObject(v.data);
}

export const isLiveJobEvents = (v: unknown): v is JobEvent | JobEvent[] => (Array.isArray(v) ? v.every(isJobEvent) : isJobEvent(v));

export const isJobAbort = (v: unknown): v is JobAbort =>
  isObject(v) && typeof v.job_id === 'string' && (v.reason === undefined || typeof v.reason === 'string');
