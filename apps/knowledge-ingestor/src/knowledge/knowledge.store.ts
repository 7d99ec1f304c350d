import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { CollectionView, DocumentFormat, DocumentStatus, DocumentView, SearchResult, StoredFileRef } from '@platform/contracts';
import { mutate } from '@platform/runtime';
import { pgFloatArray } from './ranking';

export interface CollectionRow {
  id: string;
  owner: string;
  name: string;
  description: string | null;
  created_at: Date;
  document_count?: number | string;
}

export interface DocumentRow {
  id: string;
  collection_id: string;
  collection_name: string;
  owner: string;
  filename: string;
  format: DocumentFormat;
  content_type: string;
  size_bytes: string | number;
  sha256: string;
  object_name: string | null;
  status: DocumentStatus;
  error: string | null;
  chunk_count: number;
  created_at: Date;
  updated_at: Date;
}

export const toCollectionView = (r: CollectionRow): CollectionView => ({
  name: r.name,
  description: r.description,
  created_at: new Date(r.created_at).toISOString(),
  document_count: Number(r.document_count ?? 0),
});

export const toDocumentView = (r: DocumentRow): DocumentView => ({
  document_id: r.id,
  filename: r.filename,
  collection_name: r.collection_name,
  status: r.status,
  chunk_count: r.chunk_count,
  ...(r.error ? { error: r.error } : {}),
  format: r.format,
  content_type: r.content_type,
  size_bytes: Number(r.size_bytes),
  created_at: new Date(r.created_at).toISOString(),
  updated_at: new Date(r.updated_at).toISOString(),
});

const DOC_COLUMNS = `d.id, d.collection_id, c.name AS collection_name, d.owner, d.filename, d.format, d.content_type, d.size_bytes, d.sha256,
  d.object_name, d.status, d.error, d.chunk_count, d.created_at, d.updated_at`;

/** Rows inserted per statement when writing chunks. */
const CHUNK_BATCH = 1000;

/** SQL over the knowledge schema. Every read a caller can trigger is scoped to the caller's owner key. */
@Injectable()
export class KnowledgeStore {
  constructor(private readonly db: DataSource) {}

  // --- collections --------------------------------------------------------------------------

  async createCollection(owner: string, name: string, description: string | null): Promise<CollectionRow | null> {
    const rows: CollectionRow[] = await this.db.query(
      `INSERT INTO knowledge.collections (id, owner, name, description) VALUES ($1, $2, $3, $4)
       ON CONFLICT (owner, name) DO NOTHING RETURNING *, 0 AS document_count`,
      [randomUUID(), owner, name, description],
    );
    return rows[0] ?? null;
  }

  async findCollection(owner: string, name: string): Promise<CollectionRow | null> {
    const rows: CollectionRow[] = await this.db.query(
      `SELECT c.*, (SELECT count(*) FROM knowledge.documents d WHERE d.collection_id = c.id) AS document_count
       FROM knowledge.collections c WHERE c.owner = $1 AND c.name = $2`,
      [owner, name],
    );
    return rows[0] ?? null;
  }

  listCollections(owner: string): Promise<CollectionRow[]> {
    return this.db.query(
      `SELECT c.*, (SELECT count(*) FROM knowledge.documents d WHERE d.collection_id = c.id) AS document_count
       FROM knowledge.collections c WHERE c.owner = $1 ORDER BY c.name`,
      [owner],
    );
  }

  /** Deletes the collection (documents and chunks go by cascade); returns the stored files to delete. */
  async deleteCollection(id: string): Promise<{ objects: string[]; documents: number }> {
    return this.db.transaction(async (m) => {
      const docs: { object_name: string | null }[] = await m.query(`SELECT object_name FROM knowledge.documents WHERE collection_id = $1 FOR UPDATE`, [id]);
      await m.query(`DELETE FROM knowledge.collections WHERE id = $1`, [id]);
      return { objects: docs.map((d) => d.object_name).filter((n): n is string => !!n), documents: docs.length };
    });
  }

  // --- documents ----------------------------------------------------------------------------

  /** Inserts a queued document, or returns null when the same content is already in the collection. */
  async insertDocument(owner: string, collection: CollectionRow, f: StoredFileRef): Promise<DocumentRow | null> {
    const rows: DocumentRow[] = await this.db.query(
      `INSERT INTO knowledge.documents (id, collection_id, owner, filename, format, content_type, size_bytes, sha256, object_name, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued')
       ON CONFLICT (collection_id, sha256) DO NOTHING
       RETURNING *, $10::text AS collection_name`,
      [randomUUID(), collection.id, owner, f.filename, f.format, f.content_type, f.size_bytes, f.sha256, f.object_name, collection.name],
    );
    return rows[0] ?? null;
  }

  async findBySha(collection: CollectionRow, sha256: string): Promise<DocumentRow | null> {
    const rows: DocumentRow[] = await this.db.query(
      `SELECT ${DOC_COLUMNS} FROM knowledge.documents d JOIN knowledge.collections c ON c.id = d.collection_id WHERE d.collection_id = $1 AND d.sha256 = $2`,
      [collection.id, sha256],
    );
    return rows[0] ?? null;
  }

  /** A failed document uploaded again: take the new file and queue it afresh. Returns the previous stored file. */
  async requeueFailed(id: string, f: StoredFileRef): Promise<{ previous: string | null } | null> {
    const { rows } = await mutate<{ previous: string | null }>(
      this.db,
      `UPDATE knowledge.documents d SET status = 'queued', error = NULL, chunk_count = 0, filename = $2, format = $3, content_type = $4,
         object_name = $5, updated_at = now()
       FROM (SELECT object_name AS previous FROM knowledge.documents WHERE id = $1 FOR UPDATE) p
       WHERE d.id = $1 AND d.status = 'failed' RETURNING p.previous`,
      [id, f.filename, f.format, f.content_type, f.object_name],
    );
    return rows[0] ?? null;
  }

  async findDocument(owner: string, id: string): Promise<DocumentRow | null> {
    const rows: DocumentRow[] = await this.db.query(
      `SELECT ${DOC_COLUMNS} FROM knowledge.documents d JOIN knowledge.collections c ON c.id = d.collection_id WHERE d.id = $1 AND d.owner = $2`,
      [id, owner],
    );
    return rows[0] ?? null;
  }

  async findDocumentById(id: string): Promise<DocumentRow | null> {
    const rows: DocumentRow[] = await this.db.query(
      `SELECT ${DOC_COLUMNS} FROM knowledge.documents d JOIN knowledge.collections c ON c.id = d.collection_id WHERE d.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async listDocuments(owner: string, collectionId: string | null, limit: number, offset: number): Promise<{ rows: DocumentRow[]; total: number }> {
    const where = collectionId ? 'd.owner = $1 AND d.collection_id = $2' : 'd.owner = $1 AND $2::uuid IS NULL';
    const [rows, count]: [DocumentRow[], { n: string }[]] = await Promise.all([
      this.db.query(
        `SELECT ${DOC_COLUMNS} FROM knowledge.documents d JOIN knowledge.collections c ON c.id = d.collection_id
         WHERE ${where} ORDER BY d.created_at DESC, d.id LIMIT $3 OFFSET $4`,
        [owner, collectionId, limit, offset],
      ),
      this.db.query(`SELECT count(*) AS n FROM knowledge.documents d WHERE ${where}`, [owner, collectionId]),
    ]);
    return { rows, total: Number(count[0]?.n ?? 0) };
  }

  /** Deletes one document (its chunks go by cascade); returns its stored file name, or undefined when it did not exist. */
  async deleteDocument(owner: string, id: string): Promise<{ object_name: string | null } | undefined> {
    const { rows } = await mutate<{ object_name: string | null }>(
      this.db,
      `DELETE FROM knowledge.documents WHERE id = $1 AND owner = $2 RETURNING object_name`,
      [id, owner],
    );
    return rows[0];
  }

  // --- ingestion ----------------------------------------------------------------------------

  /** Ids of documents waiting for ingestion, in id order after `after` ('' for the first page): what the ingest queue must hold. */
  async queuedIds(after: string, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM knowledge.documents WHERE status = 'queued' AND ($1 = '' OR id > $1::uuid) ORDER BY id LIMIT $2`,
      [after, limit],
    );
    return rows.map((r) => r.id);
  }

  /** queued|processing → processing. Null when the document is gone or already finished. */
  /** Documents by state (queued, processing, ready, failed), for the documents gauge. */
  async countByStatus(): Promise<{ status: string; n: number }[]> {
    const rows: { status: string; n: number }[] = await this.db.query(`SELECT status, count(*)::int AS n FROM knowledge.documents GROUP BY status`);
    return rows.map((r) => ({ status: r.status, n: Number(r.n) }));
  }

  async claim(id: string): Promise<DocumentRow | null> {
    const { rows: updated } = await mutate<{ id: string }>(
      this.db,
      `UPDATE knowledge.documents SET status = 'processing', updated_at = now() WHERE id = $1 AND status IN ('queued','processing') RETURNING id`,
      [id],
    );
    if (updated.length === 0) return null;
    return this.findDocumentById(id);
  }

  async fail(id: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE knowledge.documents SET status = 'failed', error = $2, chunk_count = 0, updated_at = now() WHERE id = $1 AND status <> 'ready'`,
      [id, reason.slice(0, 2000)],
    );
    await this.db.query(
      `DELETE FROM knowledge.chunks WHERE document_id = $1 AND EXISTS (SELECT 1 FROM knowledge.documents WHERE id = $1 AND status = 'failed')`,
      [id],
    );
  }

  /**
   * Replaces the document's chunks and marks it ready, in one transaction: a retry or a re-ingest
   * never leaves duplicates or a half-written index. False when the document was deleted meanwhile.
   */
  async writeChunks(doc: DocumentRow, chunks: string[], embeddings: number[][] | null): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const locked: unknown[] = await m.query(`SELECT id FROM knowledge.documents WHERE id = $1 FOR UPDATE`, [doc.id]);
      if (locked.length === 0) return false;
      await m.query(`DELETE FROM knowledge.chunks WHERE document_id = $1`, [doc.id]);
      for (let i = 0; i < chunks.length; i += CHUNK_BATCH) {
        const texts = chunks.slice(i, i + CHUNK_BATCH);
        const idx = texts.map((_, j) => i + j);
        if (embeddings) {
          const vecs = embeddings.slice(i, i + CHUNK_BATCH).map(pgFloatArray);
          await m.query(
            `INSERT INTO knowledge.chunks (document_id, collection_id, chunk_index, text, embedding)
             SELECT $1, $2, t.i, t.txt, t.emb::float4[] FROM unnest($3::int[], $4::text[], $5::text[]) AS t(i, txt, emb)`,
            [doc.id, doc.collection_id, idx, texts, vecs],
          );
        } else {
          await m.query(
            `INSERT INTO knowledge.chunks (document_id, collection_id, chunk_index, text)
             SELECT $1, $2, t.i, t.txt FROM unnest($3::int[], $4::text[]) AS t(i, txt)`,
            [doc.id, doc.collection_id, idx, texts],
          );
        }
      }
      await m.query(`UPDATE knowledge.documents SET status = 'ready', error = NULL, chunk_count = $2, updated_at = now() WHERE id = $1`, [
        doc.id,
        chunks.length,
      ]);
      return true;
    });
  }

  // --- search -------------------------------------------------------------------------------

  /**
   * Full-text candidates, best first (ts_rank_cd normalised to 0..1). At most `maxMatches` matching
   * chunks are ranked: a query made only of terms that occur in a large share of a huge collection
   * ranks a sample instead of every chunk, which bounds the latency of low-signal queries.
   */
  fullText(collectionId: string, tsquery: string, limit: number, maxMatches = 20_000): Promise<(SearchResult & { key: string })[]> {
    return this.db.query(
      `WITH q AS (SELECT to_tsquery('english', $2) AS q),
       m AS (
         SELECT c.document_id, c.chunk_index, c.text, c.tsv FROM knowledge.chunks c, q
         WHERE c.collection_id = $1 AND c.tsv @@ q.q LIMIT $4
       )
       SELECT m.document_id, d.filename, m.chunk_index, m.text, ts_rank_cd(m.tsv, q.q, 32)::float8 AS score,
              m.document_id || ':' || m.chunk_index AS key
       FROM m JOIN knowledge.documents d ON d.id = m.document_id, q
       ORDER BY score DESC, m.document_id, m.chunk_index
       LIMIT $3`,
      [collectionId, tsquery, limit, maxMatches],
    );
  }

  async countEmbedded(collectionId: string): Promise<number> {
    const rows: { n: string }[] = await this.db.query(`SELECT count(*) AS n FROM knowledge.chunks WHERE collection_id = $1 AND embedding IS NOT NULL`, [
      collectionId,
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Nearest chunks by cosine similarity, over the whole collection or only `among` (document_id:chunk_index keys). */
  vectorSearch(collectionId: string, vector: number[], limit: number, among?: string[]): Promise<(SearchResult & { key: string })[]> {
    const filter = among ? `AND (c.document_id || ':' || c.chunk_index) = ANY($4::text[])` : '';
    return this.db.query(
      `SELECT c.document_id, d.filename, c.chunk_index, c.text, knowledge.dot(c.embedding, $2::float4[]) AS score,
              c.document_id || ':' || c.chunk_index AS key
       FROM knowledge.chunks c JOIN knowledge.documents d ON d.id = c.document_id
       WHERE c.collection_id = $1 AND c.embedding IS NOT NULL ${filter}
       ORDER BY score DESC NULLS LAST LIMIT $3`,
      among ? [collectionId, pgFloatArray(vector), limit, among] : [collectionId, pgFloatArray(vector), limit],
    );
  }
}
