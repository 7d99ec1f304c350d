import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { InfraConfig, ToBoolean } from '@platform/runtime';

export class GatewayConfig extends InfraConfig {
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 8000;

  /** Largest JSON request body, in bytes (bigger → 413). */
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  JSON_BODY_LIMIT_BYTES = 1024 * 1024;

  // ── Slow or broken clients (docs/reliability.md) ──

  /** Whole request head (request line and headers) must arrive within this, else 408 and the connection is closed. */
  @IsInt()
  @Min(1000)
  @Max(300_000)
  HTTP_HEADERS_TIMEOUT_MS = 5000;

  /** A request body that sends no byte for this long is answered 408 and its connection closed (a stalled upload, a dead client). */
  @IsInt()
  @Min(1000)
  @Max(300_000)
  HTTP_BODY_IDLE_TIMEOUT_MS = 5000;

  /** Whole request, body included, must arrive within this (408 beyond). Uploads have their own bound: UPLOAD_REQUEST_TIMEOUT_MS. */
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** SSE: comment frame period that keeps proxies from closing idle streams. */
  @IsInt()
  @Min(1000)
  @Max(300_000)
  SSE_KEEPALIVE_MS = 15_000;

  /** SSE: `retry:` hint sent to EventSource clients. */
  @IsInt()
  @Min(100)
  @Max(600_000)
  SSE_RETRY_MS = 3000;

  /** SSE: bytes a slow client may leave unread before it is disconnected (it resumes by id). */
  @IsInt()
  @Min(16 * 1024)
  @Max(256 * 1024 * 1024)
  SSE_MAX_BUFFER_BYTES = 4 * 1024 * 1024;

  /** `POST /service_run` (and a non-streaming chat completion) waits this long for the run to end, then answers 504; the run goes on. */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  SERVICE_RUN_TIMEOUT_MS = 60_000;

  /** A chat completion whose client disconnects cancels its run (default: the run goes on, its result stays readable). */
  @ToBoolean()
  @IsBoolean()
  CHAT_CANCEL_ON_DISCONNECT = false;

  /** Register the Knowledge API routes (/v1/collections, /v1/documents). */
  @ToBoolean()
  @IsBoolean()
  KNOWLEDGE_ENABLED = false;

  /** Knowledge uploads: largest single file, in bytes (bigger → 413). */
  @IsInt()
  @Min(1)
  @Max(4 * 1024 * 1024 * 1024)
  UPLOAD_MAX_FILE_BYTES = 50 * 1024 * 1024;

  /** Knowledge uploads: files in one `POST /v1/documents` (more → 413). */
  @IsInt()
  @Min(1)
  @Max(1000)
  UPLOAD_MAX_FILES = 20;

  /** Knowledge uploads: whole multipart request, in bytes (a larger Content-Length → 413 before reading it). */
  @IsInt()
  @Min(1024)
  @Max(16 * 1024 * 1024 * 1024)
  UPLOAD_MAX_REQUEST_BYTES = 200 * 1024 * 1024;

  /** Knowledge uploads: the whole multipart request must arrive within this (10 min: 200 MiB at 2.8 Mbit/s); a stalled one is cut by HTTP_BODY_IDLE_TIMEOUT_MS. */
  @IsInt()
  @Min(1000)
  @Max(24 * 3_600_000)
  UPLOAD_REQUEST_TIMEOUT_MS = 600_000;

  // ── Authentication, stream tickets and limits (see docs/auth.md) ──

  /** Every non-public route needs `Authorization: Bearer …`; the gateway refuses to start without a validator. */
  @ToBoolean()
  @IsBoolean()
  REQUIRE_AUTH = false;

  /** JWT validator: expected `iss`, and where OIDC discovery looks when AUTH_JWT_JWKS_URI is unset. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  AUTH_JWT_ISSUER?: string;

  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  AUTH_JWT_JWKS_URI?: string;

  /** Expected `aud` (comma-separated for several). Required with the JWT validator. */
  @IsOptional()
  @IsString()
  AUTH_JWT_AUDIENCE?: string;

  /** Pinned asymmetric algorithms, comma-separated (HS* and none are never accepted). */
  @Matches(/^(RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512)(,(RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512))*$/, {
    message: 'must be a comma-separated list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512',
  })
  AUTH_JWT_ALGORITHMS = 'RS256,ES256';

  @IsInt()
  @Min(0)
  @Max(300)
  AUTH_JWT_CLOCK_SKEW_SECONDS = 30;

  /** API-key validator (keys created with `npm run apikey -- create --name …`, stored as hashes in Redis). */
  @ToBoolean()
  @IsBoolean()
  AUTH_API_KEYS_ENABLED = false;

  /** How long a gateway trusts a looked-up API key before asking Redis again (bounds revocation delay). */
  @IsInt()
  @Min(0)
  @Max(600_000)
  AUTH_API_KEY_CACHE_TTL_MS = 30_000;

  /** Installed packages (or absolute paths) whose exported factory returns validators, comma-separated. */
  @IsOptional()
  @Matches(/^[\w@./:-]+(\s*,\s*[\w@./:-]+)*$/, { message: 'must be a comma-separated list of module specifiers' })
  AUTH_VALIDATOR_MODULES?: string;

  /** Rate-limit counters, stream slots, API keys and the shared ticket secret live here. */
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Namespace of the gateway's Redis keys. */
  @Matches(/^[\w:.-]{1,64}$/, { message: 'must be 1-64 characters of [A-Za-z0-9_:.-]' })
  REDIS_KEY_PREFIX = 'gw:';

  /** Requests per caller per minute, across all replicas (0 = off). */
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE = 100;

  /** Requests per caller per second, across all replicas (0 = off). */
  @IsInt()
  @Min(0)
  @Max(100_000)
  RATE_LIMIT_BURST_PER_SECOND = 20;

  /** Concurrent SSE streams one caller may hold open across all replicas (0 = no cap). */
  @IsInt()
  @Min(0)
  @Max(100_000)
  MAX_STREAMS_PER_CALLER = 10;

  /** Lifetime of a stream ticket (`POST …/stream-ticket`). */
  @IsInt()
  @Min(5)
  @Max(3600)
  STREAM_TICKET_TTL_SECONDS = 60;

  /** HMAC key for stream tickets (≥ 32 chars). Unset: a random key shared by all replicas through Redis. */
  @IsOptional()
  @IsString()
  @MinLength(32)
  STREAM_TICKET_SECRET?: string;

  /** How long `POST /task/compound` waits for the task's plan (then 202 with status `planning`; the task goes on). */
  @IsInt()
  @Min(1000)
  @Max(600_000)
  COMPOUND_PLAN_TIMEOUT_MS = 30_000;
}
