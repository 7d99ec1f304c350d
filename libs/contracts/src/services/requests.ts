import { IsBoolean, IsObject, IsOptional, IsString, Length, Matches, MaxLength, MinLength, NotContains } from 'class-validator';
import { REQUEST_ID_PATTERN } from './model';

/* What callers send to run a service: the HTTP bodies of the service API (checked at the gateway) and the command job-runner receives. */

export const SERVICE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** `POST /service_run`, `/service_run_stream`, `/service_run_async` body (agentUniverse web API). */
export class ServiceRunDto {
  @IsString()
  @Length(1, 128)
  service_id: string;

  /** The agent's input: the first of `input`, `query`, `question`, `query_content`, `request`; the whole object goes to the agent as options. */
  @IsObject()
  params: Record<string, unknown>;

  /** Accepted for compatibility: every run here is durable. */
  @IsOptional()
  @IsBoolean()
  saved?: boolean;
}

/** `POST /service_run_cancel` body. */
export class ServiceRunCancelDto {
  @IsString()
  @Length(1, 64)
  request_id: string;
}

/**
 * `services.submit`: run a service as a job with this id. The gateway has already read the input out
 * of the dialect's body (a service's `params`, a chat's last user message); job-runner resolves the
 * service to its agent type and merges its default options under `options`.
 */
export class SubmitServiceRunCommand {
  @IsString()
  @Matches(SERVICE_ID_PATTERN, { message: 'service_id must match ^[A-Za-z0-9_.:-]{1,128}$' })
  service_id: string;

  @IsString()
  @Matches(REQUEST_ID_PATTERN, { message: 'request_id must be 32 lowercase hex characters' })
  request_id: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200_000)
  @NotContains('\u0000', { message: 'input must not contain NUL characters' })
  input: string;

  /**
   * Agent options of this request; the service's defaults go under them. `collections` (a list of
   * knowledge collection names) is also what the job may search, as on the job API.
   */
  @IsObject()
  options: Record<string, unknown>;
}
