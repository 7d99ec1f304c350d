import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { QueueConfig } from '@platform/runtime';

export class IngestorConfig extends QueueConfig {
  @IsInt()
  @Min(1)
  @Max(65535)
  INGESTOR_PORT = 8003;

  /** Documents one process ingests at once (parsing runs off the event loop for PDF/HTML). */
  @IsInt()
  @Min(1)
  @Max(64)
  INGEST_CONCURRENCY = 2;

  /** Attempts per document for transient failures (object store, database). Parse errors fail at once. */
  @IsInt()
  @Min(1)
  @Max(20)
  INGEST_MAX_ATTEMPTS = 3;

  /** First retry delay; doubles each attempt. */
  @IsInt()
  @Min(10)
  @Max(600_000)
  INGEST_BACKOFF_MS = 1000;

  /** Target chunk length in characters. */
  @IsInt()
  @Min(100)
  @Max(20_000)
  CHUNK_SIZE = 1000;

  /** Characters repeated between neighbouring chunks so a sentence cut at a border is still found whole. */
  @IsInt()
  @Min(0)
  @Max(5000)
  CHUNK_OVERLAP = 150;

  /** A document that yields more chunks than this fails (protects the index from a pathological upload). */
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  MAX_CHUNKS_PER_DOCUMENT = 200_000;

  /** PDF/HTML parsing runs in a worker thread that is killed after this long (the document then fails). */
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  PARSE_TIMEOUT_MS = 120_000;

  /** Heap cap of a parse worker thread, in MiB. */
  @IsInt()
  @Min(64)
  @Max(16_384)
  PARSE_MAX_HEAP_MB = 1024;

  /** Most matching chunks one search ranks (bounds the cost of queries whose terms are everywhere). */
  @IsInt()
  @Min(100)
  @Max(10_000_000)
  SEARCH_MAX_MATCHES = 20_000;

  /** OpenAI-compatible embeddings endpoint (e.g. http://127.0.0.1:8080/v1). Unset: full-text search only. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  EMBEDDINGS_BASE_URL?: string;

  @IsOptional()
  @IsString()
  EMBEDDINGS_API_KEY?: string;

  @IsOptional()
  @IsString()
  EMBEDDINGS_MODEL?: string;

  @IsInt()
  @Min(1)
  @Max(2048)
  EMBEDDINGS_BATCH_SIZE = 64;

  @IsInt()
  @Min(100)
  @Max(600_000)
  EMBEDDINGS_TIMEOUT_MS = 30_000;

  /**
   * Collections with at most this many embedded chunks get an exact vector scan on every search;
   * larger ones re-rank the full-text candidates by vector similarity only.
   */
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  EMBEDDINGS_FULL_SCAN_MAX = 5000;

  get embeddingsEnabled(): boolean {
    return Boolean(this.EMBEDDINGS_BASE_URL && this.EMBEDDINGS_MODEL);
  }
}
