import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { DatabaseConfig } from '@platform/runtime';

export class CoordinatorConfig extends DatabaseConfig {
  @IsInt()
  @Min(1)
  @Max(65535)
  COORDINATOR_PORT = 8002;

  /** How often agents are expected to heartbeat. */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  COORDINATOR_HEARTBEAT_INTERVAL_MS = 10_000;

  /** Missed heartbeats before the sweeper marks an agent `stale` (it then receives no tasks). */
  @IsInt()
  @Min(1)
  @Max(100)
  COORDINATOR_HEARTBEAT_TOLERANCE = 3;

  /** Stale-agent and lost-task sweep period (one replica sweeps at a time). */
  @IsInt()
  @Min(100)
  @Max(600_000)
  COORDINATOR_SWEEP_INTERVAL_MS = 2_000;

  /** Safety-net dispatch period; dispatch also runs at once on submit, registration, heartbeat and results. */
  @IsInt()
  @Min(50)
  @Max(600_000)
  COORDINATOR_DISPATCH_INTERVAL_MS = 1_000;

  /** Tasks claimed per dispatch round. */
  @IsInt()
  @Min(1)
  @Max(10_000)
  COORDINATOR_DISPATCH_BATCH = 200;

  /** Deliveries of one task (to different agents when there are) before it fails. */
  @IsInt()
  @Min(1)
  @Max(50)
  COORDINATOR_TASK_MAX_ATTEMPTS = 3;

  /** An assigned task with no result after this long goes back to the queue (or fails when out of attempts). */
  @IsInt()
  @Min(1000)
  @Max(86_400_000)
  COORDINATOR_TASK_TIMEOUT_MS = 600_000;

  /** HTTP POST / NATS request timeout when handing a task to an agent. */
  @IsInt()
  @Min(100)
  @Max(600_000)
  COORDINATOR_DELIVERY_TIMEOUT_MS = 10_000;

  /** Public base URL of the gateway; when set, deliveries carry `result_url` = `<base>/tasks/<id>/result`. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  COORDINATOR_RESULT_BASE_URL?: string;
}
