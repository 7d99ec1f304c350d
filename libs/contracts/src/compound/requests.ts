import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, MaxLength, Min, NotContains } from 'class-validator';

/* What callers send for compound tasks (seed 003): the HTTP bodies and queries (checked at the gateway) and the commands job-runner receives. */

/** A compound task's id: `compound-` and 12 lowercase hex digits. It is also the id of the task's parent job. */
export const COMPOUND_ID_PATTERN = /^compound-[0-9a-f]{12}$/;
export const COMPOUND_PROMPT_MAX = 5000;
export const RECENT_TASKS_DEFAULT = 20;
export const RECENT_TASKS_MAX = 100;

/** `POST /task/compound` body. `token` is an alternative to the `Authorization: Bearer` header (checked by the same validators). */
export class CompoundTaskDto {
  @IsString()
  @Length(1, COMPOUND_PROMPT_MAX)
  @NotContains('\u0000', { message: 'prompt must not contain NUL characters' })
  prompt: string;

  @IsOptional()
  @IsString()
  @MaxLength(8192)
  token?: string;
}

/** `GET /tasks/recent?limit=` (default 20; above 100 is clamped to 100, as the seed does). */
export class RecentTasksQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  limit?: number;
}

/** `compound.submit`: start a compound task for the caller. */
export class SubmitCompoundCommand {
  @IsString()
  @Length(1, COMPOUND_PROMPT_MAX)
  @NotContains('\u0000', { message: 'prompt must not contain NUL characters' })
  prompt: string;
}

export class CompoundTaskRef {
  @IsString()
  @Matches(COMPOUND_ID_PATTERN)
  task_id: string;
}

export class RecentTasksRequest {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  limit: number;
}
