import { Type } from 'class-transformer';
import {
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
  Validate,
} from 'class-validator';
import type { Principal } from '../principal';
import { HttpEndpoint, IsNumberMap, IsStringMap, JsonSize, StringList, applyAll } from '../validators';
import { AGENT_ID_MESSAGE, AGENT_ID_PATTERN, AGENT_STATUSES, type AgentStatus, type TaskPriority } from './model';

/* Bodies of the agent coordinator API's routes, and the NATS requests the gateway builds from them. */

/** The keys of `metadata` the coordinator reads: `max_concurrent_tasks` (placement capacity) is a positive integer. */
@ValidatorConstraint({ name: 'agentMetadata', async: false })
class AgentMetadata implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    const v = (value as Record<string, unknown> | undefined)?.max_concurrent_tasks;
    return v === undefined || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 100_000);
  }
  defaultMessage(): string {
    return 'metadata.max_concurrent_tasks must be an integer from 1 to 100000';
  }
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
  @Validate(AgentMetadata)
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
