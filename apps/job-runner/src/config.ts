import { IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, MinLength, Validate } from 'class-validator';
import { QueueConfig } from '@platform/runtime';
import { IsCouncilMembers } from './council/members';

export class JobRunnerConfig extends QueueConfig {
  /** Probe/metrics HTTP port (the API lives on the gateway). */
  @IsInt()
  @Min(1)
  @Max(65535)
  JOB_RUNNER_PORT = 8001;

  /**
   * Jobs one process runs at once. Agents mostly wait on I/O, so this can exceed the core count.
   * 0 makes an API-only replica: it answers submits and queries but runs no jobs.
   */
  @IsInt()
  @Min(0)
  @Max(1000)
  JOB_CONCURRENCY = 16;

  /** Times a job is started before a lost run (its replica died) turns it into `failure`. */
  @IsInt()
  @Min(1)
  @Max(20)
  JOB_MAX_ATTEMPTS = 3;

  /** Bull lock: a processor that stops renewing it for this long is presumed dead. */
  @IsInt()
  @Min(1000)
  @Max(600_000)
  JOB_LOCK_MS = 15_000;

  @IsInt()
  @Min(500)
  @Max(600_000)
  JOB_STALLED_CHECK_MS = 5_000;

  /**
   * How long a run retries an event-log write while Postgres is unavailable before it hands its job
   * back to the queue (the job then runs again later as a new attempt, not counted as lost).
   */
  @IsInt()
  @Min(0)
  @Max(600_000)
  JOB_WRITE_RETRY_MS = 30_000;

  /** Expired-job and stuck-job sweep period. */
  @IsInt()
  @Min(500)
  @Max(3_600_000)
  JOB_SWEEP_INTERVAL_MS = 30_000;

  /** How often a replica looks for submitted jobs, quiet this long, that have no queue entry (a runner died before adding it). */
  @IsInt()
  @Min(200)
  @Max(600_000)
  JOB_ORPHAN_CHECK_MS = 2000;

  /** A `submitted` job with no queue entry for this long is re-queued. */
  @IsInt()
  @Min(1000)
  @Max(86_400_000)
  JOB_STUCK_AFTER_MS = 60_000;

  /** Unfinished jobs one caller may have at once (0 = no cap). */
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  MAX_ACTIVE_JOBS_PER_CALLER = 1000;

  /** The service catalog of the agentUniverse service API (YAML or JSON); unset: the built-in `demo_service → echo`. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  SERVICES_FILE?: string;

  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  LLM_BASE_URL?: string;

  @IsOptional()
  @IsString()
  LLM_API_KEY?: string;

  @IsString()
  LLM_MODEL = 'gpt-4o-mini';

  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  LLM_TIMEOUT_MS = 120_000;

  /**
   * The model catalogue (YAML, or JSON by a `.json` name): models by name with server, tier and prices
   * (docs/models.md). Validated at start-up. Unset: `LLM_MODEL` on `LLM_BASE_URL` is the one model.
   */
  @IsOptional()
  @IsString()
  LLM_MODELS_FILE?: string;

  /** Price per million prompt / completion tokens of `LLM_MODEL` when there is no catalogue file. */
  @IsNumber()
  @Min(0)
  LLM_PRICE_INPUT_PER_M = 0;

  @IsNumber()
  @Min(0)
  LLM_PRICE_OUTPUT_PER_M = 0;

  /** An embedding model for agents (the council's agreement measure) when the catalogue file lists none. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  EMBEDDINGS_BASE_URL?: string;

  @IsOptional()
  @IsString()
  EMBEDDINGS_API_KEY?: string;

  @IsOptional()
  @IsString()
  EMBEDDINGS_MODEL?: string;

  /**
   * The AI council's members (docs/council.md): comma-separated `model[@temperature][*weight]`, each a
   * catalogue chat model, e.g. `small@0.2,small@0.9,large*2`. Unset: three members on the default model
   * at temperatures 0.2, 0.7 and 1.0.
   */
  @IsOptional()
  @Validate(IsCouncilMembers)
  COUNCIL_MEMBERS?: string;

  /** How long one member's answer may take; a member past it is dropped for that round. */
  @IsInt()
  @Min(100)
  @Max(600_000)
  COUNCIL_MEMBER_TIMEOUT_MS = 30_000;

  /** How long a whole council run may take (every round and the synthesis); past it the request fails with TIMEOUT. */
  @IsInt()
  @Min(500)
  @Max(3_600_000)
  COUNCIL_TIMEOUT_MS = 120_000;

  /** The fewest answers a round needs; fewer (but some) fail the request with MINIMUM_QUORUM_NOT_MET. */
  @IsInt()
  @Min(1)
  @Max(16)
  COUNCIL_MIN_QUORUM = 2;

  /** agreementLevel at or above which confidence is `high`. */
  @IsNumber()
  @Min(0)
  @Max(1)
  COUNCIL_CONFIDENCE_HIGH = 0.8;

  /** agreementLevel at or above which confidence is `medium` (below it: `low`). */
  @IsNumber()
  @Min(0)
  @Max(1)
  COUNCIL_CONFIDENCE_MEDIUM = 0.5;

  /** Most subtasks a compound task's plan may have (a model's plan with more is invalid). */
  @IsInt()
  @Min(1)
  @Max(50)
  COMPOUND_MAX_SUBTASKS = 8;

  /** Subtasks of one compound task running at once (each is a child job). */
  @IsInt()
  @Min(1)
  @Max(64)
  COMPOUND_MAX_PARALLEL = 4;

  /**
   * How long planning may take: the model's attempts share 80 % of it, then the deterministic planner
   * plans. The gateway's `POST /task/compound` waits up to the same time for the plan.
   */
  @IsInt()
  @Min(1000)
  @Max(600_000)
  COMPOUND_PLAN_TIMEOUT_MS = 30_000;
}
