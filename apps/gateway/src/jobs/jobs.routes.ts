/**
 * The async job API's paths (AI-Q async job API), in one place: the controllers route by them and
 * every URL the gateway hands out (a stream ticket's `stream_url`, the debug console) is built from
 * them. What a route needs beyond its path (stream slots, tickets) comes from decorators, not these strings.
 */
export const JOBS_API = 'v1/jobs/async';

export const JobRoutes = {
  agents: 'agents',
  submit: 'submit',
  jobs: 'jobs',
  job: 'job/:id',
  cancel: 'job/:id/cancel',
  state: 'job/:id/state',
  report: 'job/:id/report',
  stream: 'job/:id/stream',
  streamAfter: 'job/:id/stream/:last_event_id',
  streamTicket: 'job/:id/stream-ticket',
} as const;

/** The URL of a job's stream, from the start (or from Last-Event-ID). */
export function jobStreamUrl(jobId: string): string {
  return `/${JOBS_API}/${JobRoutes.stream.replace(':id', encodeURIComponent(jobId))}`;
}
