import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Job } from 'bull';
import { IngestorConfig } from '../config';
import { chunkText, normalizeText } from './chunker';
import { Embeddings } from './embeddings';
import { FileStore } from './file-store';
import { IngestQueue, type IngestJob } from './ingest-queue';
import { KnowledgeStore } from './knowledge.store';
import { parseUpload } from './parse-runner';
import { ParseError } from './parsers';

export interface IngestOutcome {
  status: 'ready' | 'failed' | 'gone';
  chunks?: number;
  error?: string;
}

/**
 * Parse → chunk → index, one document per Bull job. A file that cannot be parsed fails its document
 * at once with the reason; anything else (object store, database) throws so Bull retries with
 * backoff, and the last failed attempt fails the document.
 */
@Injectable()
export class IngestWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IngestWorker.name);

  constructor(
    private readonly queue: IngestQueue,
    private readonly store: KnowledgeStore,
    private readonly files: FileStore,
    private readonly embeddings: Embeddings,
    private readonly config: IngestorConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.queue.queue.process(this.config.INGEST_CONCURRENCY, (job: Job<IngestJob>) => this.ingest(job.data.document_id));
    this.queue.queue.on('failed', (job: Job<IngestJob>, err: Error) => {
      if (job.attemptsMade >= (job.opts.attempts ?? 1)) {
        void this.store
          .fail(job.data.document_id, `Ingestion failed after ${job.attemptsMade} attempts: ${err.message}`)
          .catch((e: Error) => this.logger.error(e.message));
      }
    });
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

  async onApplicationShutdown(): Promise<void> {
    // Finish what is running (the grace period is the orchestrator's), then release the queue.
    await this.queue.queue.close().catch(() => undefined);
  }
}
