import { IsInt, Max, Min, IsBoolean } from 'class-validator';
import { InfraConfig, ToBoolean } from '@platform/runtime';

export class GatewayConfig extends InfraConfig {
  @IsInt() @Min(1) @Max(65535)
  PORT = 8000;

  /** Largest JSON request body, in bytes (bigger → 413). */
  @IsInt() @Min(1024) @Max(64 * 1024 * 1024)
  JSON_BODY_LIMIT_BYTES = 1024 * 1024;

  /** SSE: comment frame period that keeps proxies from closing idle streams. */
  @IsInt() @Min(1000) @Max(300_000)
  SSE_KEEPALIVE_MS = 15_000;

  /** SSE: `retry:` hint sent to EventSource clients. */
  @IsInt() @Min(100) @Max(600_000)
  SSE_RETRY_MS = 3000;

  /** SSE: bytes a slow client may leave unread before it is disconnected (it resumes by id). */
  @IsInt() @Min(16 * 1024) @Max(256 * 1024 * 1024)
  SSE_MAX_BUFFER_BYTES = 4 * 1024 * 1024;

  /** Register the Knowledge API routes (/v1/collections, /v1/documents). */
  @ToBoolean() @IsBoolean()
  KNOWLEDGE_ENABLED = false;
}
