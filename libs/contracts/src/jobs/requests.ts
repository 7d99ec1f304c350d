import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  NotContains,
} from 'class-validator';

import { JOB_STATUSES, type JobStatus } from './events';

/* What callers send to the job engine: the submit body (validated at the gateway and again in job-runner) and job references. */

export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MIN_EXPIRY_SECONDS = 600;
export const MAX_EXPIRY_SECONDS = 604_800;
export const DEFAULT_EXPIRY_SECONDS = 86_400;

/** `POST /v1/jobs/async/submit` body, validated at the gateway and again in job-runner. */
export class SubmitJobDto {
  @IsString()
  @Length(1, 64)
  agent_type: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200_000)
  @NotContains('\u0000', { message: 'input must not contain NUL characters' }) // Postgres text cannot hold them
  input: string;

  @IsOptional()
  @IsString()
  @Matches(JOB_ID_PATTERN, { message: 'job_id must match ^[A-Za-z0-9_-]{1,64}$' })
  job_id?: string;

  @IsOptional()
  @IsInt()
  @Min(MIN_EXPIRY_SECONDS)
  @Max(MAX_EXPIRY_SECONDS)
  expiry_seconds?: number;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Length(1, 63, { each: true })
  @NotContains('\u0000', { each: true, message: 'collections must not contain NUL characters' })
  collections?: string[];
}

/** job-runner's view of a submission: the body plus what the gateway knows about the request. */
export class SubmitJobCommand extends SubmitJobDto {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  idempotency_key?: string;

  /** Options for the agent beyond the job API's own (a service's params, a chat's messages); not part of the public submit body. */
  @IsOptional()
  @IsObject()
  agent_options?: Record<string, unknown>;
}

export class JobRef {
  @IsString()
  @Matches(JOB_ID_PATTERN)
  job_id: string;
}

export class ReadEventsQuery extends JobRef {
  /** Return events with seq > after. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit?: number;
}

/** `GET /v1/jobs/async/jobs?limit=&offset=&status=`: the caller's recent jobs, newest first. */
export class ListJobsQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  offset?: number;

  @IsOptional()
  @IsIn(JOB_STATUSES as unknown as string[])
  status?: JobStatus;
}
