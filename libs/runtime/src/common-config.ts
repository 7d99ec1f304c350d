import { Transform } from 'class-transformer';
import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';

const URL_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;

/** Settings every service shares: where the infrastructure is and how it logs. */
export class InfraConfig {
  @Matches(URL_PATTERN, { message: 'must be a URL such as nats://127.0.0.1:4222' })
  NATS_URL = 'nats://127.0.0.1:4222';

  @IsInt()
  @Min(100)
  @Max(120_000)
  NATS_REQUEST_TIMEOUT_MS = 10_000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsInt()
  @Min(1000)
  @Max(600_000)
  SHUTDOWN_GRACE_MS = 25_000;
}

export class DatabaseConfig extends InfraConfig {
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://platform:platform@127.0.0.1:5432/platform';

  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 20;

  /** While Postgres is down, one trial connection per this many ms; every other request fails fast (503). */
  @IsInt()
  @Min(20)
  @Max(10_000)
  DATABASE_BREAKER_PROBE_MS = 250;
}

export class QueueConfig extends DatabaseConfig {
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';
}

/** Boolean env vars: accept the spellings operators actually use. */
export const ToBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value === 'boolean') return value;
    const s = String(value).trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
    return value;
  });
