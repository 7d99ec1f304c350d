import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  Validate,
} from 'class-validator';
import type { Principal } from './principal';

/* Agent coordinator (seed 001): registry, discovery, heartbeats, priority task queues. */

export const AGENT_STATUSES = ['active', 'inactive', 'busy', 'stale'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Highest first; FIFO within one priority. */
export const TASK_PRIORITIES = ['urgent', 'critical', 'high', 'normal', 'low'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export const isTaskPriority = (p: unknown): p is TaskPriority => typeof p === 'string' && (TASK_PRIORITIES as readonly string[]).includes(p);

export const TASK_STATES = ['queued', 'assigned', 'completed', 'failed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const AGENT_ID_MESSAGE = 'agent_id must be 1-128 characters: letters, digits and _ . : @ - (starting with a letter or digit)';

/** The NATS subject a platform worker (job-runner process) receives its tasks on: request/reply, answered by that process alone. */
export const agentDeliverySubject = (agentId: string): string => `coordinator.deliver.${agentId.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** `endpoints`: string → URL/subject, at most 20 entries of at most 2048 characters. */
@ValidatorConstraint({ name: 'isStringMap', async: false })
class IsStringMap implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const entries = Object.entries(value);
    return entries.length <= 20 && entries.every(([k, v]) => k.length > 0 && k.length <= 64 && typeof v === 'string' && v.length <= 2048);
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be an object of strings (at most 20 entries)`;
  }
}

/** `endpoints.http` must be an http(s) URL. */
@ValidatorConstraint({ name: 'httpEndpoint', async: false })
class HttpEndpoint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    const http = (value as Record<string, unknown> | undefined)?.http;
    return http === undefined || (typeof http === 'string' && /^https?:\/\/\S+$/.test(http));
  }
  defaultMessage(): string {
    return 'endpoints.http must be an http(s) URL';
  }
}

/** `load_metrics`: string → finite number. */
@ValidatorConstraint({ name: 'isNumberMap', async: false })
class IsNumberMap implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const entries = Object.entries(value);
    return entries.length <= 50 && entries.every(([k, v]) => k.length <= 64 && typeof v === 'number' && Number.isFinite(v));
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be an object of numbers`;
  }
}

/** Serialized JSON no larger than `max` bytes (metadata, task_data, results). */
@ValidatorConstraint({ name: 'jsonSize', async: false })
class JsonSize implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    if (value === undefined) return true;
    try {
      return Buffer.byteLength(JSON.stringify(value) ?? '') <= (args.constraints[0] as number);
    } catch {
      return false;
    }
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must serialize to at most ${args.constraints[0] as number} bytes of JSON`;
  }
}

const StringList = (maxItems = 100) => [IsArray(), ArrayMaxSize(maxItems), IsString({ each: true }), Length(1, 128, { each: true })];
function applyAll(decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((d) => d(target, key));
}

/** `POST /agents/register`. Registering an existing id of the same owner replaces its description (re-registration). */
export class RegisterAgentDto {
  @IsString()
  @Matches(AGENT_ID_PATTERN, { message: AGENT_ID_MESSAGE })
  agent_id: string;

  @IsString()
  @Length(1, 64)
  agent_type: string;

  @IsOptional()
  @applyAll(StringList())
  capabilities?: string[];

  @IsOptional()
  @applyAll(StringList())
  services?: string[];

  @IsOptional()
  @Validate(IsStringMap)
  @Validate(HttpEndpoint)
  endpoints?: Record<string, string>;

  @IsOptional()
  @IsObject()
  @Validate(JsonSize, [64 * 1024])
  metadata?: Record<string, unknown>;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  version?: string;

  @IsOptional()
  @applyAll(StringList(50))
  tags?: string[];

  @IsOptional()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatus;

  @IsOptional()
  @Validate(IsNumberMap)
  load_metrics?: Record<string, number>;
}

/** `POST /agents/discover`: every given filter must hold (capabilities and services: all of them). */
export class DiscoverAgentsDto {
  @IsOptional()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatus;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  agent_type?: string;

  @IsOptional()
  @applyAll(StringList())
  capabilities?: string[];

  @IsOptional()
  @applyAll(StringList())
  services?: string[];
}

/** `PUT /agents/{agent_id}/status`. */
export class UpdateAgentStatusDto {
  @IsIn(AGENT_STATUSES)
  status: AgentStatus;

  @IsOptional()
  @Validate(IsNumberMap)
  load_metrics?: Record<string, number>;
}

/** `POST /agents/{agent_id}/heartbeat`: the body is optional; a stale agent comes back as active (or the status it sends). */
export class HeartbeatDto {
  @IsOptional()
  @IsIn(['active', 'busy', 'inactive'])
  status?: Exclude<AgentStatus, 'stale'>;

  @IsOptional()
  @Validate(IsNumberMap)
  load_metrics?: Record<string, number>;
}

export class TaskRequirementsDto {
  @IsOptional()
  @applyAll(StringList())
  capabilities?: string[];

  @IsOptional()
  @IsString()
  @Length(1, 64)
  agent_type?: string;
}

/** `POST /tasks/submit`. `priority` is checked by the coordinator (400 `Invalid priority: {p}`, as documented). */
export class SubmitTaskDto {
  @IsObject()
  @Validate(JsonSize, [256 * 1024])
  task_data: Record<string, unknown>;

  @IsString()
  @MaxLength(64)
  priority: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TaskRequirementsDto)
  requirements?: TaskRequirementsDto;
}

/** `POST /tasks/{task_id}/result`: an agent reports the outcome of a task it was given. */
export class TaskResultDto {
  @IsString()
  @Matches(AGENT_ID_PATTERN, { message: AGENT_ID_MESSAGE })
  agent_id: string;

  /** The `token` of the delivery being answered: a late report of an earlier attempt is ignored. */
  @IsString()
  @Length(16, 128)
  token: string;

  @IsIn(['completed', 'failed'])
  status: 'completed' | 'failed';

  @IsOptional()
  @Validate(JsonSize, [1024 * 1024])
  result?: unknown;

  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  error?: string;
}

/* NATS requests (the gateway adds path parameters to the body). */

export class AgentRef {
  @IsString()
  @Matches(AGENT_ID_PATTERN, { message: AGENT_ID_MESSAGE })
  agent_id: string;
}

export class UpdateAgentStatusCommand extends UpdateAgentStatusDto {
  @IsString()
  @Matches(AGENT_ID_PATTERN, { message: AGENT_ID_MESSAGE })
  agent_id: string;
}

export class HeartbeatCommand extends HeartbeatDto {
  @IsString()
  @Matches(AGENT_ID_PATTERN, { message: AGENT_ID_MESSAGE })
  agent_id: string;
}

export class TaskRef {
  @IsUUID()
  task_id: string;
}

export class TaskResultCommand extends TaskResultDto {
  @IsUUID()
  task_id: string;
}

export class ClearQueueCommand {
  @IsString()
  @MaxLength(64)
  priority: string;
}

export class EmptyRequest {}

/* Replies. */

export interface AgentView {
  agent_id: string;
  agent_type: string;
  status: AgentStatus;
  capabilities: string[];
  services: string[];
  endpoints: Record<string, string>;
  metadata: Record<string, unknown>;
  last_heartbeat: string;
  registration_time: string;
  load_metrics: Record<string, number>;
  health_score: number;
  version: string;
  tags: string[];
  /** Tasks assigned to it and not finished yet (what least-connections placement counts). */
  active_tasks: number;
}

export interface RegisterAgentReply {
  status: 'success';
  message: string;
  agent_id: string;
  registered_at: string;
}

export interface DiscoverAgentsReply {
  status: 'success';
  query: Record<string, unknown>;
  agents: AgentView[];
  count: number;
  timestamp: string;
}

export interface GetAgentReply {
  status: 'success';
  agent: AgentView;
  timestamp: string;
}

export interface UpdateAgentStatusReply {
  status: 'success';
  message: string;
  agent_id: string;
  new_status: AgentStatus;
  updated_at: string;
}

export interface HeartbeatReply {
  status: 'success';
  message: string;
  agent_id: string;
  agent_status: AgentStatus;
  health_score: number;
  /** How often the coordinator expects a heartbeat, so agents can pace themselves. */
  heartbeat_interval_ms: number;
  timestamp: string;
}

export interface DeregisterAgentReply {
  status: 'success';
  message: string;
  agent_id: string;
  requeued_tasks: number;
  timestamp: string;
}

export interface SubmitTaskReply {
  status: 'success';
  message: string;
  task_id: string;
  priority: TaskPriority;
  submitted_at: string;
}

export type QueueSizes = Record<TaskPriority, number>;

export interface LoadBalancerStats {
  strategy: 'least_connections';
  total_assignments: number;
  successful_assignments: number;
  failed_assignments: number;
  success_rate: number;
  active_agents: number;
  agent_weights: number;
  avg_agent_load: number;
}

export interface TaskStats {
  tasks_distributed: number;
  tasks_completed: number;
  tasks_failed: number;
  /** Seconds from (re)queueing to assignment, averaged over every assignment. */
  avg_distribution_time: number;
  load_balancer_stats: LoadBalancerStats;
  queue_sizes: QueueSizes;
}

export interface TaskStatusReply {
  status: 'success';
  stats: TaskStats;
  timestamp: string;
}

export interface QueuesReply {
  status: 'success';
  queue_sizes: QueueSizes;
  total: number;
  timestamp: string;
}

export interface QueueStatsReply {
  status: 'success';
  queue_sizes: QueueSizes;
  total: number;
  /** Age in seconds of the oldest waiting task of each priority (null when empty). */
  oldest_wait_seconds: Record<TaskPriority, number | null>;
  stats: TaskStats;
  timestamp: string;
}

export interface ClearQueueReply {
  status: 'success';
  message: string;
  priority: TaskPriority;
  cleared: number;
  timestamp: string;
}

export interface TaskView {
  task_id: string;
  priority: TaskPriority;
  status: TaskState;
  task_data: Record<string, unknown>;
  requirements: { capabilities?: string[]; agent_type?: string };
  assigned_agent: string | null;
  attempts: number;
  max_attempts: number;
  result: unknown;
  error: string | null;
  submitted_at: string;
  assigned_at: string | null;
  completed_at: string | null;
  /** Seconds from submission to the (latest) assignment. */
  distribution_time: number | null;
}

export interface GetTaskReply {
  status: 'success';
  task: TaskView;
  timestamp: string;
}

export interface TaskResultReply {
  status: 'success';
  accepted: boolean;
  task_id: string;
  task_status: TaskState;
  timestamp: string;
}

/**
 * What the coordinator sends an agent: HTTP POST body to `endpoints.http`, or the NATS request on
 * `endpoints.nats` for platform workers. The agent answers with the result (HTTP 200 and a
 * `TaskDeliveryReply` with `status` completed/failed), or accepts it (HTTP 202 / `{accepted: true}`) and
 * reports later with a `TaskResultDto` carrying the same `token`.
 */
export interface TaskDelivery {
  task_id: string;
  agent_id: string;
  token: string;
  attempt: number;
  priority: TaskPriority;
  task_data: Record<string, unknown>;
  requirements: { capabilities?: string[]; agent_type?: string };
  submitted_at: string;
  /** Where to POST the result when the coordinator knows its public URL (COORDINATOR_RESULT_BASE_URL). */
  result_url?: string;
  /** Platform workers only: the principal the task was submitted by, so the job runs on its behalf. */
  principal?: Principal;
}

export interface TaskDeliveryReply {
  accepted?: boolean;
  status?: 'completed' | 'failed';
  result?: unknown;
  error?: string;
}

export const CoordinatorSubjects = {
  register: 'coordinator.agents.register',
  discover: 'coordinator.agents.discover',
  getAgent: 'coordinator.agents.get',
  updateStatus: 'coordinator.agents.status',
  heartbeat: 'coordinator.agents.heartbeat',
  deregister: 'coordinator.agents.deregister',
  submitTask: 'coordinator.tasks.submit',
  taskStatus: 'coordinator.tasks.status',
  queues: 'coordinator.tasks.queues',
  queueStats: 'coordinator.tasks.queue-stats',
  clearQueue: 'coordinator.tasks.clear',
  getTask: 'coordinator.tasks.get',
  taskResult: 'coordinator.tasks.result',
} as const;

declare module './subjects' {
  interface RpcMap {
    'coordinator.agents.register': {
      request: RegisterAgentDto;
      reply: RegisterAgentReply;
    };
    'coordinator.agents.discover': {
      request: DiscoverAgentsDto;
      reply: DiscoverAgentsReply;
    };
    'coordinator.agents.get': { request: AgentRef; reply: GetAgentReply };
    'coordinator.agents.status': {
      request: UpdateAgentStatusCommand;
      reply: UpdateAgentStatusReply;
    };
    'coordinator.agents.heartbeat': {
      request: HeartbeatCommand;
      reply: HeartbeatReply;
    };
    'coordinator.agents.deregister': {
      request: AgentRef;
      reply: DeregisterAgentReply;
    };
    'coordinator.tasks.submit': {
      request: SubmitTaskDto;
      reply: SubmitTaskReply;
    };
    'coordinator.tasks.status': {
      request: EmptyRequest;
      reply: TaskStatusReply;
    };
    'coordinator.tasks.queues': { request: EmptyRequest; reply: QueuesReply };
    'coordinator.tasks.queue-stats': {
      request: EmptyRequest;
      reply: QueueStatsReply;
    };
    'coordinator.tasks.clear': {
      request: ClearQueueCommand;
      reply: ClearQueueReply;
    };
    'coordinator.tasks.get': { request: TaskRef; reply: GetTaskReply };
    'coordinator.tasks.result': {
      request: TaskResultCommand;
      reply: TaskResultReply;
    };
  }
}
