import { Injectable, Logger } from '@nestjs/common';
import OpenAI from 'openai';
import { IngestorConfig } from '../config';
import { normalize } from './ranking';

/** Optional: an OpenAI-compatible /embeddings endpoint. Disabled (null results) unless configured. */
@Injectable()
export class Embeddings {
  private readonly logger = new Logger(Embeddings.name);
  private readonly client: OpenAI | null;

  constructor(private readonly config: IngestorConfig) {
    this.client = config.embeddingsEnabled
      ? new OpenAI({ baseURL: config.EMBEDDINGS_BASE_URL, apiKey: config.EMBEDDINGS_API_KEY ?? 'unused', timeout: config.EMBEDDINGS_TIMEOUT_MS, maxRetries: 2 })
      : null;
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  /** Unit-length vectors, one per text, or null when disabled or the endpoint failed (search falls back to full text). */
  async embed(texts: string[]): Promise<number[][] | null> {
    if (!this.client || texts.length === 0) return null;
    try {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += this.config.EMBEDDINGS_BATCH_SIZE) {
        const batch = texts.slice(i, i + this.config.EMBEDDINGS_BATCH_SIZE);
        const res = await this.client.embeddings.create({ model: this.config.EMBEDDINGS_MODEL!, input: batch });
        const data = [...res.data].sort((a, b) => a.index - b.index);
        if (data.length !== batch.length) throw new Error(`expected ${batch.length} embeddings, got ${data.length}`);
        for (const d of data) out.push(normalize(d.embedding as number[]));
      }
      return out;
    } catch (err) {
      this.logger.warn(`embeddings unavailable, indexing/searching by full text only: ${(err as Error).message}`);
      return null;
    }
  }
}
