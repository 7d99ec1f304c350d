import type { AgentInfo, CancelJobReply, EventsPage, JobReportView, JobStateView, JobView, SubmitJobReply } from './jobs';
import type { JobRef, ReadEventsQuery, SubmitJobCommand } from './jobs';

/** Every request/reply subject on the bus. Replicas of a service answer them as one queue group. */
export const Subjects = {
  jobs: {
    agents: 'jobs.agents',
    submit: 'jobs.submit',
    get: 'jobs.get',
    cancel: 'jobs.cancel',
    state: 'jobs.state',
    report: 'jobs.report',
    events: 'jobs.events',
  },
  ping: {
    'job-runner': 'job-runner.ping',
    'agent-coordinator': 'agent-coordinator.ping',
    'knowledge-ingestor': 'knowledge-ingestor.ping',
  },
} as const;

export type ServiceName = keyof typeof Subjects.ping;
export const SERVICE_NAMES = Object.keys(Subjects.ping) as ServiceName[];

export interface PingReply {
  service: ServiceName;
  version: string;
  ready: boolean;
  dependencies: Record<string, 'up' | 'down'>;
}

/**
 * Request and reply type of each subject. `Bus.request` is typed by this map, so a message that
 * crosses a service boundary cannot drift from its declaration here. Other modules extend it by
 * declaration merging (see coordinator.ts, knowledge.ts).
 */
export interface RpcMap {
  'jobs.agents': { request: Record<string, never>; reply: { agents: AgentInfo[] } };
  'jobs.submit': { request: SubmitJobCommand; reply: SubmitJobReply };
  'jobs.get': { request: JobRef; reply: JobView };
  'jobs.cancel': { request: JobRef; reply: CancelJobReply };
  'jobs.state': { request: JobRef; reply: JobStateView };
  'jobs.report': { request: JobRef; reply: JobReportView };
  'jobs.events': { request: ReadEventsQuery; reply: EventsPage };
  'job-runner.ping': { request: Record<string, never>; reply: PingReply };
  'agent-coordinator.ping': { request: Record<string, never>; reply: PingReply };
  'knowledge-ingestor.ping': { request: Record<string, never>; reply: PingReply };
}
export type RpcSubject = keyof RpcMap;
export type RpcRequest<S extends RpcSubject> = RpcMap[S]['request'];
export type RpcReply<S extends RpcSubject> = RpcMap[S]['reply'];

/** NATS headers that carry request context between services. */
export const Headers = {
  correlationId: 'x-request-id',
  principal: 'x-principal',
} as const;
