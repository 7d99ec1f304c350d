import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateKnowledge1732400000000 implements MigrationInterface {
  name = 'CreateKnowledge1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE knowledge.collections (
        id          uuid         PRIMARY KEY,
        owner       varchar(320) NOT NULL,
        name        varchar(63)  NOT NULL,
        description text,
        created_at  timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT collections_owner_name UNIQUE (owner, name)
      )`);
    await q.query(`
      CREATE TABLE knowledge.documents (
        id            uuid         PRIMARY KEY,
        collection_id uuid         NOT NULL REFERENCES knowledge.collections(id) ON DELETE CASCADE,
        owner         varchar(320) NOT NULL,
        filename      varchar(255) NOT NULL,
        format        varchar(16)  NOT NULL,
        content_type  varchar(200) NOT NULL,
        size_bytes    bigint       NOT NULL,
        sha256        char(64)     NOT NULL,
        object_name   varchar(200),
        status        varchar(16)  NOT NULL,
        error         text,
        chunk_count   integer      NOT NULL DEFAULT 0,
        created_at    timestamptz  NOT NULL DEFAULT now(),
        updated_at    timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT documents_status_check CHECK (status IN ('queued','processing','ready','failed')),
        CONSTRAINT documents_collection_sha256 UNIQUE (collection_id, sha256)
      )`);
    await q.query(`CREATE INDEX documents_owner_created ON knowledge.documents (owner, created_at DESC, id)`);
    await q.query(`
      CREATE TABLE knowledge.chunks (
        document_id   uuid     NOT NULL REFERENCES knowledge.documents(id) ON DELETE CASCADE,
        chunk_index   integer  NOT NULL,
        collection_id uuid     NOT NULL REFERENCES knowledge.collections(id) ON DELETE CASCADE,
        text          text     NOT NULL,
        tsv           tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        embedding     float4[],
        PRIMARY KEY (document_id, chunk_index)
      )`);
    await q.query(`CREATE INDEX chunks_tsv ON knowledge.chunks USING gin (tsv)`);
    await q.query(`CREATE INDEX chunks_collection ON knowledge.chunks (collection_id)`);
    // Vectors are stored L2-normalised, so cosine similarity is their dot product.
    await q.query(`
      CREATE FUNCTION knowledge.dot(a float4[], b float4[]) RETURNS float8
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT sum(x::float8 * y::float8) FROM unnest(a, b) AS t(x, y) $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION knowledge.dot(float4[], float4[])`);
    await q.query(`DROP TABLE knowledge.chunks`);
    await q.query(`DROP TABLE knowledge.documents`);
    await q.query(`DROP TABLE knowledge.collections`);
  }
}
