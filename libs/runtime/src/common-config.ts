import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

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

  // ── Tracing (OpenTelemetry; read by the SDK itself, validated here so a typo stops the start) ──

  /** OTLP/HTTP collector base URL (`/v1/traces` is appended). Unset: no tracing at all. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL such as http://otel-collector:4318' })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  /** Full URL for traces only (used as is), instead of the endpoint above. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL such as http://otel-collector:4318/v1/traces' })
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;

  @IsOptional()
  @IsIn(['http/protobuf', 'http/json'], { message: 'must be http/protobuf or http/json' })
  OTEL_EXPORTER_OTLP_PROTOCOL?: string;

  @IsOptional()
  @IsIn(['http/protobuf', 'http/json'], { message: 'must be http/protobuf or http/json' })
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: string;

  /** The `service.name` of this process's spans (default: the app's name). */
  @IsOptional()
  @Matches(/^[\w.:/-]{1,128}$/, { message: 'must be 1-128 characters of [A-Za-z0-9_.:/-]' })
  OTEL_SERVICE_NAME?: string;

  @IsOptional()
  @IsIn(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
  OTEL_TRACES_SAMPLER?: string;

  /** The ratio of `traceidratio` samplers, 0…1. */
  @IsOptional()
  @Matches(/^(0(\.\d+)?|1(\.0+)?)$/, { message: 'must be a number from 0 to 1' })
  OTEL_TRACES_SAMPLER_ARG?: string;
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
