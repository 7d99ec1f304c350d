import { Injectable, Logger, Optional } from '@nestjs/common';
import {
  ErrorCode,
  ownerOf,
  type CollectionList,
  type CollectionView,
  type CreateCollectionRequest,
  type DeleteCollectionReply,
  type DeleteDocumentReply,
  type DocumentAccepted,
  type DocumentList,
  type DocumentView,
  type ListDocumentsQuery,
  type Principal,
  type RegisterDocumentsReply,
  type RegisterDocumentsRequest,
  type SearchCollectionRequest,
  type SearchReply,
  type SearchResult,
} from '@platform/contracts';
import { rpcError, secondsSince } from '@platform/runtime';
import { KnowledgeMetrics } from './knowledge-metrics';
import { IngestorConfig } from '../config';
import { Embeddings } from './embeddings';
import { FileStore } from './file-store';
import { IngestQueue } from './ingest-queue';
import { KnowledgeStore, toCollectionView, toDocumentView, type CollectionRow } from './knowledge.store';
import { andTsQuery, orTsQuery, reciprocalRankFusion } from './ranking';

const notFound = (what: string) => rpcError(ErrorCode.NOT_FOUND, `${what} not found`);

/**
 * Collections, documents and search for one caller at a time. Everything is looked up under the
 * caller's owner key, so another caller's collection or document answers 404 exactly like one that
 * does not exist.
 */
@Injectable()
export class KnowledgeService {
  private readonly logger = new Logger(KnowledgeService.name);

  constructor(
    private readonly store: KnowledgeStore,
    private readonly files: FileStore,
    private readonly queue: IngestQueue,
    private readonly embeddings: Embeddings,
    private readonly config: IngestorConfig,
    @Optional() private readonly metrics?: KnowledgeMetrics,
  ) {}

  async createCollection(req: CreateCollectionRequest, caller: Principal): Promise<CollectionView> {
    const row = await this.store.createCollection(ownerOf(caller), req.name, req.description ?? null);
    if (!row) throw rpcError(ErrorCode.CONFLICT, `Collection '${req.name}' already exists`);
    return toCollectionView(row);
  }

  async listCollections(caller: Principal): Promise<CollectionList> {
    return { collections: (await this.store.listCollections(ownerOf(caller))).map(toCollectionView) };
  }

  async getCollection(name: string, caller: Principal): Promise<CollectionView> {
    return toCollectionView(await this.collection(name, caller));
  }

  async deleteCollection(name: string, caller: Principal): Promise<DeleteCollectionReply> {
    const c = await this.collection(name, caller);
    const { objects, documents } = await this.store.deleteCollection(c.id);
    await this.files.delete(objects);
    return { name, deleted: true, documents_deleted: documents };
  }

  /**
   * Records uploaded files and queues them (answered once the rows are committed; the queue adds follow). The same content (sha256) already in the collection is
   * not ingested twice: its existing document is returned and the new copy of the file is dropped.
   */
  async register(req: RegisterDocumentsRequest, caller: Principal): Promise<RegisterDocumentsReply> {
    const owner = ownerOf(caller);
    const c = await this.store.findCollection(owner, req.collection_name);
    if (!c) {
      await this.files.delete(req.files.map((f) => f.object_name));
      throw notFound(`Collection '${req.collection_name}'`);
    }
    const documents: DocumentAccepted[] = [];
    for (const f of req.files) {
      const inserted = await this.store.insertDocument(owner, c, f);
      if (inserted) {
        documents.push({ document_id: inserted.id, filename: inserted.filename, collection_name: c.name, status: this.enqueue(inserted.id) });
        continue;
      }
      const existing = await this.store.findBySha(c, f.sha256);
      if (existing?.status === 'failed') {
        const requeued = await this.store.requeueFailed(existing.id, f);
        if (requeued) {
          if (requeued.previous && requeued.previous !== f.object_name) await this.files.delete([requeued.previous]);
          documents.push({ document_id: existing.id, filename: f.filename, collection_name: c.name, status: this.enqueue(existing.id) });
          continue;
        }
      }
      await this.files.delete([f.object_name]);
      const current = existing ? await this.store.findDocumentById(existing.id) : null;
      if (!current) throw rpcError(ErrorCode.CONFLICT, `Document '${f.filename}' changed while it was being registered; try again`);
      documents.push({ document_id: current.id, filename: current.filename, collection_name: c.name, status: current.status, duplicate: true });
    }
    return { documents };
  }

  /** The row is committed: the document is queued, whatever Redis says right now (IngestReconciler re-adds it if the add fails). */
  private enqueue(documentId: string): 'queued' {
    this.queue.offer(documentId);
    return 'queued';
  }

  async getDocument(id: string, caller: Principal): Promise<DocumentView> {
    const d = await this.store.findDocument(ownerOf(caller), id);
    if (!d) throw notFound(`Document '${id}'`);
    return toDocumentView(d);
  }

  async listDocuments(q: ListDocumentsQuery, caller: Principal): Promise<DocumentList> {
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    const c = q.collection_name ? await this.collection(q.collection_name, caller) : null;
    const { rows, total } = await this.store.listDocuments(ownerOf(caller), c?.id ?? null, limit, offset);
    return { documents: rows.map(toDocumentView), total, limit, offset };
  }

  async deleteDocument(id: string, caller: Principal): Promise<DeleteDocumentReply> {
    const gone = await this.store.deleteDocument(ownerOf(caller), id);
    if (!gone) throw notFound(`Document '${id}'`);
    await this.files.delete([gone.object_name]);
    return { document_id: id, deleted: true };
  }

  /**
   * Full-text search (always); with embeddings configured, also vector similarity, fused by
   * reciprocal rank. Scores: ts_rank_cd normalised to 0..1 for full text, the RRF score when fused.
   */
  async search(req: SearchCollectionRequest, caller: Principal): Promise<SearchReply> {
    const started = process.hrtime.bigint();
    const mode = this.embeddings.enabled ? 'hybrid' : 'fulltext';
    try {
      const reply = await this.rankedSearch(req, caller);
      this.metrics?.searchSeconds.observe({ mode, outcome: 'ok' }, secondsSince(started));
      return reply;
    } catch (err) {
      this.metrics?.searchSeconds.observe({ mode, outcome: 'error' }, secondsSince(started));
      throw err;
    }
  }

  private async rankedSearch(req: SearchCollectionRequest, caller: Principal): Promise<SearchReply> {
    const c = await this.collection(req.collection_name, caller);
    const topK = req.top_k ?? 5;
    const candidates = Math.max(50, topK * 10);
    const text = await this.fullText(c.id, req.query, this.embeddings.enabled ? candidates : topK);
    if (!this.embeddings.enabled) return { results: text.map(strip) };

    const vector = (await this.embeddings.embed([req.query]))?.[0];
    if (!vector) return { results: text.slice(0, topK).map(strip) };
    const fullScan = (await this.store.countEmbedded(c.id)) <= this.config.EMBEDDINGS_FULL_SCAN_MAX;
    const near = fullScan
      ? await this.store.vectorSearch(c.id, vector, candidates)
      : text.length
        ? await this.store.vectorSearch(
            c.id,
            vector,
            candidates,
            text.map((t) => t.key),
          )
        : [];
    const fused = reciprocalRankFusion([text.map((t) => t.key), near.map((n) => n.key)]);
    const byKey = new Map([...near, ...text].map((r) => [r.key, r]));
    const results = [...fused.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topK)
      .map(([key, score]) => ({ ...strip(byKey.get(key)!), score }));
    return { results };
  }

  /**
   * Chunks containing all of the query's terms first (selective, so cheap even when one term is
   * everywhere); when those are fewer than `limit`, chunks containing any term fill the rest. Both
   * passes rank with ts_rank_cd; the merged list is ordered by score.
   */
  private async fullText(collectionId: string, query: string, limit: number) {
    const all = andTsQuery(query);
    if (!all) return [];
    const max = this.config.SEARCH_MAX_MATCHES;
    const first = await this.store.fullText(collectionId, all, limit, max);
    const any = orTsQuery(query)!;
    if (first.length >= limit || any === all) return first;
    const seen = new Set(first.map((r) => r.key));
    const more = (await this.store.fullText(collectionId, any, limit, max)).filter((r) => !seen.has(r.key));
    return [...first, ...more].sort((a, b) => Number(b.score) - Number(a.score)).slice(0, limit);
  }

  private async collection(name: string, caller: Principal): Promise<CollectionRow> {
    const c = await this.store.findCollection(ownerOf(caller), name);
    if (!c) throw notFound(`Collection '${name}'`);
    return c;
  }
}

function strip(r: SearchResult & { key?: string }): SearchResult {
  return { document_id: r.document_id, filename: r.filename, chunk_index: r.chunk_index, text: r.text, score: Number(r.score) };
}
