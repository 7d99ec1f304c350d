import { CompoundSubjects, type CompoundRpc } from './compound/subjects';
import { isTaskDelivery, isTaskDeliveryReply } from './coordinator/events';
import { CouncilSubjects, type CouncilRpc } from './council/subjects';
import { CoordinatorSubjects, type CoordinatorAddressed, type CoordinatorRpc } from './coordinator/subjects';
import { isJobAbort, isLiveJobEvents } from './jobs/events';
import { JobsSubjects, type JobsEvents, type JobsRpc } from './jobs/subjects';
import { KnowledgeSubjects, type KnowledgeRpc } from './knowledge/subjects';
import { PlatformSubjects, type PlatformRpc } from './platform/subjects';
import { ServicesSubjects, type ServicesRpc } from './services/subjects';

/**
 * Every subject on the bus, by domain. One naming rule: a subject is the dotted path of its key here
 * (`Subjects.coordinator.agents.register` is `coordinator.agents.register`); a published or addressed
 * subject gets one more token, the id of what it is about (`jobs.live.<job_id>`, see `subjectFor`).
 */
export const Subjects = {
  jobs: JobsSubjects,
  coordinator: CoordinatorSubjects,
  knowledge: KnowledgeSubjects,
  platform: PlatformSubjects,
  services: ServicesSubjects,
  council: CouncilSubjects,
  compound: CompoundSubjects,
} as const;

/** Request/reply subjects answered by a service's queue group: their request and reply types. `Bus.request` is typed by it. */
export interface RpcMap extends JobsRpc, CoordinatorRpc, KnowledgeRpc, PlatformRpc, ServicesRpc, CouncilRpc, CompoundRpc {}
export type RpcSubject = keyof RpcMap;
export type RpcRequest<S extends RpcSubject> = RpcMap[S]['request'];
export type RpcReply<S extends RpcSubject> = RpcMap[S]['reply'];

/** Requests that change nothing: safe to send again when a replica died holding the first attempt (see `Bus.request`). */
export const READ_ONLY_SUBJECTS: ReadonlySet<RpcSubject> = new Set<RpcSubject>([
  Subjects.jobs.agents,
  Subjects.jobs.get,
  Subjects.jobs.list,
  Subjects.jobs.state,
  Subjects.jobs.report,
  Subjects.jobs.events,
  Subjects.coordinator.agents.discover,
  Subjects.coordinator.agents.get,
  Subjects.coordinator.tasks.status,
  Subjects.coordinator.tasks.queues,
  Subjects.coordinator.tasks.queueStats,
  Subjects.coordinator.tasks.get,
  Subjects.knowledge.search,
  Subjects.knowledge.collections.list,
  Subjects.knowledge.collections.get,
  Subjects.knowledge.documents.get,
  Subjects.knowledge.documents.list,
  ...Object.values(Subjects.platform.ping),
  Subjects.services.list,
  Subjects.council.get,
  Subjects.council.list,
  Subjects.compound.progress,
  Subjects.compound.recent,
]);

/** Published subjects (fire and forget, `<subject>.<id>`): their payload types. `Bus.publish`/`subscribe` are typed by it. A domain with events adds its map here (`JobsEvents & …`). */
export type EventMap = JobsEvents;
export type EventSubject = keyof EventMap;

/** Request/reply subjects addressed to one process (`<subject>.<address>`), not a queue group. */
export type AddressedMap = CoordinatorAddressed;
export type AddressedSubject = keyof AddressedMap;

export type ShapeCheck<T> = (value: unknown) => value is T;

/** How a receiver checks a published message before its handler sees it: a cheap shape check (live events are a hot path). */
export const EventChecks: { [S in EventSubject]: ShapeCheck<EventMap[S]> } = {
  'jobs.live': isLiveJobEvents,
  'jobs.abort': isJobAbort,
};

export const AddressedChecks: {
  [S in AddressedSubject]: { request: ShapeCheck<AddressedMap[S]['request']>; reply: ShapeCheck<AddressedMap[S]['reply']> };
} = {
  'coordinator.deliver': { request: isTaskDelivery, reply: isTaskDeliveryReply },
};

/** `<subject>.<id>`; characters NATS gives a meaning to (`.`, `*`, `>`, spaces) become `_`. `*` alone subscribes to every id. */
export function subjectFor(subject: EventSubject | AddressedSubject, id: string): string {
  return `${subject}.${id === '*' ? '*' : id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** NATS headers that carry request context between services. */
export const Headers = {
  correlationId: 'x-request-id',
  principal: 'x-principal',
} as const;
