/** Event types written to a job's log (seed 000, "SSE Event Types"). */
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

/** Live events of one job are published here, in seq order, after they are durable: one event (object) or one write batch (array) per message. */
export const jobEventsSubject = (jobId: string): string => `job.events.${jobId}`;
/** Broadcast (no queue group): every job-runner hears it; the one running the job aborts it. */
export const jobCancelSubject = (jobId: string): string => `job.control.cancel.${jobId}`;
