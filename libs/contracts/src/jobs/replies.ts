import type { JobEvent, JobStatus } from './events';

/* What job-runner answers on NATS; the gateway returns these bodies as they are (AI-Q async job API). */

export interface SubmitJobReply {
  job_id: string;
  status: 'submitted';
  agent_type: string;
}

export interface JobView {
  job_id: string;
  agent_type: string;
  status: JobStatus;
  error: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  /** Runs started so far (a crash retry makes it 2); 0 before the first. */
  attempt: number;
  started_at: string | null;
  finished_at: string | null;
}

/** A page of the caller's jobs, newest first (`GET /v1/jobs/async/jobs`). */
export interface JobList {
  jobs: JobView[];
  total: number;
  limit: number;
  offset: number;
}

export interface JobReportView {
  job_id: string;
  has_report: boolean;
  report: string | null;
}

export interface JobStateView {
  job_id: string;
  status: JobStatus;
  state: Record<string, unknown>;
}

export interface CancelJobReply {
  job_id: string;
  status: JobStatus;
}

export interface EventsPage {
  job_id: string;
  status: JobStatus;
  events: JobEvent[];
  /** The highest seq written so far; more to fetch when the last returned event is below it. */
  last_seq: number;
}

export interface AgentInfo {
  agent_type: string;
  description: string;
}
