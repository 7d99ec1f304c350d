import { OnQueueFailed, Process, Processor } from '@nestjs/bull';
import { Logger, Optional, type BeforeApplicationShutdown, type Type } from '@nestjs/common';
import type { Job } from 'bull';
import { inSpan, restoreTrace, secondsSince, SpanKind, within } from '@platform/runtime';
import { KnowledgeMetrics } from './knowledge-metrics';
import { IngestorConfig } from '../config';
import { chunkText, normalizeText } from './chunker';
import { Embeddings } from './embeddings';
import { FileStore } from './file-store';
import { INGEST_QUEUE, IngestQueue, type IngestJob } from './ingest-queue';
import { KnowledgeStore } from './knowledge.store';
import { parseUpload } from './parse-runner';
import { ParseError } from './parsers';

export interface IngestOutcome {
  status: 'ready' | 'failed' | 'gone';
  chunks?: number;
  error?: string;
}

/**
 * The consumer of the ingest queue: parse → chunk → index, one document per Bull job. A file that
 * cannot be parsed fails its document at once with the reason; anything else (object store, database)
 * throws so Bull retries with backoff, and the last failed attempt fails the document.
 *
 * Registered by `KnowledgeModule.forRoot` through `withConcurrency` (INGEST_CONCURRENCY).
 */
@Processor(INGEST_QUEUE)
export class IngestProcessor implements BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestProcessor.name);
  /** Ingests in progress (settled promises), for the shutdown drain. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly queue: IngestQueue,
    private readonly store: KnowledgeStore,
    private readonly files: FileStore,
    private readonly embeddings: Embeddings,
    private readonly config: IngestorConfig,
    @Optional() private readonly metrics?: KnowledgeMetrics,
  ) {}

  /**
   * The processor with `@Process({ concurrency })`. Decorator options are fixed when a class is declared,
   * but INGEST_CONCURRENCY is validated config loaded at startup, so the module declares this subclass with it.
   */
  static withConcurrency(concurrency: number): Type<IngestProcessor> {
    class ConfiguredIngestProcessor extends IngestProcessor {
      @Process({ concurrency })
      override handle(job: Job<IngestJob>): Promise<IngestOutcome> {
        return super.handle(job);
      }
    }
    return ConfiguredIngestProcessor;
  }

  handle(job: Job<IngestJob>): Promise<IngestOutcome> {
    const started = process.hrtime.bigint();
    // The Bull hop of the trace: under the registering request's context stored with the entry.
    const done = inSpan(
      `${INGEST_QUEUE} process`,
      {
        kind: SpanKind.CONSUMER,
        parent: restoreTrace(job.data.trace),
        attributes: {
          'messaging.system': 'bull',
          'messaging.operation.type': 'process',
          'messaging.destination.name': INGEST_QUEUE,
          'document.id': job.data.document_id,
        },
      },
      () => this.ingest(job.data.document_id),
    );
    done.then(
      (o) => {
        this.metrics?.ingestSeconds.observe({ outcome: o.status }, secondsSince(started));
        if (o.status === 'ready' && o.chunks) this.metrics?.chunksIndexed.inc(o.chunks);
      },
      () => this.metrics?.ingestSeconds.observe({ outcome: 'error' }, secondsSince(started)),
    );
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return done;
  }

  /** After its last attempt a document fails with the reason. */
  @OnQueueFailed()
  onFailed(job: Job<IngestJob>, err: Error): void {
    if (job.attemptsMade >= (job.opts.attempts ?? 1)) {
      void this.store
        .fail(job.data.document_id, `Ingestion failed after ${job.attemptsMade} attempts: ${err.message}`)
        .catch((e: Error) => this.logger.error(e.message));
    }
  }

  async ingest(documentId: string): Promise<IngestOutcome> {
    const doc = await this.store.claim(documentId);
    if (!doc) return { status: 'gone' };
    const started = Date.now();
    const bytes = doc.object_name ? await this.files.get(doc.object_name) : null;
    if (!bytes) return this.fail(documentId, 'The stored file is missing; upload it again');
    let text: string;
    try {
      text = normalizeText(await parseUpload(doc.format, bytes, { timeoutMs: this.config.PARSE_TIMEOUT_MS, maxHeapMb: this.config.PARSE_MAX_HEAP_MB }));
    } catch (err) {
      if (err instanceof ParseError) return this.fail(documentId, err.message);
      throw err;
    }
    const chunks = chunkText(text, this.config.CHUNK_SIZE, this.config.CHUNK_OVERLAP);
    if (chunks.length === 0) return this.fail(documentId, 'The document contains no text');
    if (chunks.length > this.config.MAX_CHUNKS_PER_DOCUMENT) {
      return this.fail(documentId, `The document yields ${chunks.length} chunks, more than the limit of ${this.config.MAX_CHUNKS_PER_DOCUMENT}`);
    }
    const vectors = await this.embeddings.embed(chunks);
    const written = await this.store.writeChunks(doc, chunks, vectors);
    if (!written) return { status: 'gone' };
    this.logger.log(`document ${documentId} (${doc.filename}) ready: ${chunks.length} chunks in ${Date.now() - started} ms`);
    return { status: 'ready', chunks: chunks.length };
  }

  private async fail(documentId: string, reason: string): Promise<IngestOutcome> {
    this.logger.warn(`document ${documentId} failed: ${reason}`);
    await this.store.fail(documentId, reason);
    return { status: 'failed', error: reason };
  }

  /**
   * SIGTERM, before Nest closes the NATS listener: stop taking documents and let those being ingested
   * finish, bounded by SHUTDOWN_GRACE_MS (less a little for closing). Whatever is still running then is
   * left to Bull's stalled check (another replica, or this one restarted, ingests it again), and the
   * queue is closed without waiting for it — Bull's own close would otherwise wait for it without
   * any deadline (e.g. on a command queued while Redis reconnects).
   */
  async beforeApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + Math.max(this.config.SHUTDOWN_GRACE_MS - 1500, this.config.SHUTDOWN_GRACE_MS / 2);
    const queue = this.queue.queue;
    await within(queue.pause(true, true), 2000).catch((err: Error) => this.logger.warn(`pausing the ingest queue failed: ${err.message}`));
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (this.inFlight.size === 0) return; // Bull's own shutdown hook closes the queue, with nothing left to wait for
    this.logger.warn(`${this.inFlight.size} ingest(s) still running at the end of the grace period; they are retried after the restart`);
    await within(queue.close(true), 2000).catch(() => undefined);
  }
}
