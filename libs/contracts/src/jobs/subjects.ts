import type { JobAbort, JobEvent } from './events';
import type { AgentInfo, CancelJobReply, EventsPage, JobList, JobReportView, JobStateView, JobView, SubmitJobReply } from './replies';
import type { JobRef, ListJobsQuery, ReadEventsQuery, SubmitJobCommand } from './requests';

/**
 * The job engine's subjects. Request/reply ones are answered by job-runner's queue group; `live` and
 * `abort` are published, one subject per job (`jobs.live.<job_id>`, see `subjectFor`).
 */
export const JobsSubjects = {
  agents: 'jobs.agents',
  submit: 'jobs.submit',
  get: 'jobs.get',
  /** The caller's jobs, newest first, a page at a time. */
  list: 'jobs.list',
  cancel: 'jobs.cancel',
  state: 'jobs.state',
  report: 'jobs.report',
  events: 'jobs.events',
  /** A job's events, in seq order, after they are durable. */
  live: 'jobs.live',
  /** Broadcast (no queue group): every job-runner hears it; the one running the job aborts it. */
  abort: 'jobs.abort',
} as const;

export interface JobsRpc {
  'jobs.agents': { request: Record<string, never>; reply: { agents: AgentInfo[] } };
  'jobs.submit': { request: SubmitJobCommand; reply: SubmitJobReply };
  'jobs.get': { request: JobRef; reply: JobView };
  'jobs.list': { request: ListJobsQuery; reply: JobList };
  'jobs.cancel': { request: JobRef; reply: CancelJobReply };
  'jobs.state': { request: JobRef; reply: JobStateView };
  'jobs.report': { request: JobRef; reply: JobReportView };
  'jobs.events': { request: ReadEventsQuery; reply: EventsPage };
}

export interface JobsEvents {
  /** One event (object) or one write batch (array) per message. */
  'jobs.live': JobEvent | JobEvent[];
  'jobs.abort': JobAbort;
}
