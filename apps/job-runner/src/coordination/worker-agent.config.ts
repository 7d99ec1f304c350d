import { IsBoolean, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ToBoolean } from '@platform/runtime';

/** How a job-runner process presents itself to the agent coordinator. Read from the environment. */
export class WorkerAgentConfig {
  /** Register this process as a coordinator agent (agent_type "worker"). */
  @ToBoolean()
  @IsBoolean()
  WORKER_AGENT_ENABLED = true;

  /** Agent id; default `job-runner-<hostname>-<pid>`. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/)
  WORKER_AGENT_ID?: string;

  /** Heartbeat period; keep it at or below the coordinator's COORDINATOR_HEARTBEAT_INTERVAL_MS. */
  @IsInt()
  @Min(100)
  @Max(600_000)
  WORKER_AGENT_HEARTBEAT_MS = 5_000;

  /** Tasks this process takes at once (metadata.max_concurrent_tasks); the coordinator queues the rest. */
  @IsInt()
  @Min(1)
  @Max(10_000)
  WORKER_AGENT_MAX_TASKS = 16;

  /** How often a running task's job is polled for its outcome. */
  @IsInt()
  @Min(20)
  @Max(60_000)
  WORKER_AGENT_POLL_MS = 200;

  /** How long shutdown waits for running tasks before deregistering (they are then re-queued). */
  @IsInt()
  @Min(0)
  @Max(600_000)
  WORKER_AGENT_DRAIN_MS = 20_000;
}
