import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import type pg from 'pg';
import { type CollectionView, type DocumentAccepted, type DocumentView, type SearchReply, Subjects } from '@platform/contracts';
import { RemoteError } from '@platform/runtime';
import { startSuite, type Suite } from '../../support/services';
import { json } from '../../support/http';
import { minimalPdf } from '../../../apps/knowledge-ingestor/src/knowledge/pdf-fixture';
import { db, KNOWLEDGE_TEST_ENV, migrateKnowledge, rawMultipart, TestBus, unique, waitForDocument } from './helpers';

jest.setTimeout(120_000);

const MAX_FILE = 64 * 1024;
const MAX_FILES = 5;

describe('Knowledge API against the real ingestor and gateway', () => {
  let suite: Suite;
  let gw: string;
  let tb: TestBus;
  let pool: pg.Pool;

  beforeAll(async () => {
    const env = {
      ...KNOWLEDGE_TEST_ENV,
      UPLOAD_MAX_FILE_BYTES: String(MAX_FILE),
      UPLOAD_MAX_FILES: String(MAX_FILES),
      UPLOAD_MAX_REQUEST_BYTES: String(1024 * 1024),
    };
    suite = await startSuite({ basePort: 18310, apps: ['knowledge-ingestor', 'gateway'], env, waitReady: false });
    migrateKnowledge(suite.env);
    gw = suite.gatewayUrl;
    tb = await TestBus.open(suite.env.NATS_URL);
    pool = db(suite.env.DATABASE_URL);
  });

  afterAll(async () => {
    await tb?.close();
    await pool?.end();
    await suite?.stop();
  });

  async function collection(prefix = 'kn'): Promise<string> {
    const name = unique(prefix);
    const r = await request(gw).post('/v1/collections').send({ name, description: 'test' });
    expect(r.status).toBe(201);
    return name;
  }

  async function upload(name: string, files: [string, string | Buffer, string?][]): Promise<DocumentAccepted[]> {
    let req = request(gw).post('/v1/documents').field('collection_name', name);
    for (const [filename, content, contentType] of files)
      req = req.attach('files', Buffer.from(content), { filename, contentType: contentType ?? 'text/plain' });
    const r = await req;
    expect(r.status).toBe(202);
    return r.body.documents;
  }

  async function expectHealthy(): Promise<void> {
    expect(suite.app('knowledge-ingestor').alive).toBe(true);
    expect(suite.app('gateway').alive).toBe(true);
    expect((await json(`${suite.app('knowledge-ingestor').url}/health/ready`)).status).toBe(200);
    expect((await json(`${gw}/health`)).status).toBe(200);
    // The gateway still reaches the ingestor over NATS.
    expect((await request(gw).get('/v1/collections')).status).toBe(200);
  }

  describe('collections', () => {
    it('creates, lists, gets, refuses duplicates and bad names', async () => {
      const name = await collection();
      expect((await request(gw).post('/v1/collections').send({ name })).status).toBe(409);
      expect((await request(gw).post('/v1/collections').send({ name: 'Bad Name' })).status).toBe(422);
      expect((await request(gw).post('/v1/collections').send({ name: 'ok', extra: 1 })).status).toBe(422);
      const got = await request(gw).get(`/v1/collections/${name}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual({ name, description: 'test', created_at: expect.any(String), document_count: 0 });
      const list = await request(gw).get('/v1/collections');
      expect(list.body.collections.map((c: CollectionView) => c.name)).toContain(name);
      expect((await request(gw).get(`/v1/collections/${unique('none')}`)).status).toBe(404);
      expect((await request(gw).get('/v1/collections/NOT..valid')).status).toBe(404);
    });
  });

  describe('bad uploads → clean 4xx or failed, services stay healthy', () => {
    let name: string;
    beforeAll(async () => {
      name = await collection('bad');
    });

    it('no file → 422', async () => {
      const r = await request(gw).post('/v1/documents').field('collection_name', name);
      expect(r.status).toBe(422);
      expect(r.body.detail).toMatch(/file/);
    });

    it('not multipart → 415; missing collection_name → 422', async () => {
      expect((await request(gw).post('/v1/documents').send({ collection_name: name })).status).toBe(415);
      const r = await request(gw).post('/v1/documents').attach('files', Buffer.from('hi'), { filename: 'a.txt', contentType: 'text/plain' });
      expect(r.status).toBe(422);
    });

    it('unknown collection → 404', async () => {
      const r = await request(gw)
        .post('/v1/documents')
        .field('collection_name', unique('missing'))
        .attach('files', Buffer.from('hi'), { filename: 'a.txt', contentType: 'text/plain' });
      expect(r.status).toBe(404);
      expect(r.body.detail).toMatch(/not found/);
    });

    it('oversize file → 413, too many files → 413, oversize request → 413', async () => {
      const big = await request(gw)
        .post('/v1/documents')
        .field('collection_name', name)
        .attach('files', Buffer.alloc(MAX_FILE + 1024, 'a'), { filename: 'big.txt', contentType: 'text/plain' })
        .catch((e: Error) => ({ status: -1, body: { detail: e.message } }));
      expect(big.status).toBe(413);
      let many = request(gw).post('/v1/documents').field('collection_name', name);
      for (let i = 0; i <= MAX_FILES; i++) many = many.attach('files', Buffer.from(`file ${i}`), { filename: `f${i}.txt`, contentType: 'text/plain' });
      expect((await many).status).toBe(413);
      const r = await fetch(`${gw}/v1/documents`, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(2 * 1024 * 1024) },
        body: 'x'.repeat(10),
      }).catch(() => null);
      if (r) expect(r.status).toBe(413);
    });

    it('wrong type → 415 (unknown extension, binary disguised as text)', async () => {
      const png = await request(gw)
        .post('/v1/documents')
        .field('collection_name', name)
        .attach('files', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]), { filename: 'a.png', contentType: 'image/png' });
      expect(png.status).toBe(415);
      const bin = await request(gw)
        .post('/v1/documents')
        .field('collection_name', name)
        .attach('files', Buffer.from([0x41, 0, 0x42, 0]), { filename: 'a.txt', contentType: 'text/plain' });
      expect(bin.status).toBe(415);
      const docs = await request(gw).get(`/v1/documents?collection_name=${name}`);
      expect(docs.body.total).toBe(0);
    });

    it('hostile filenames are sanitised', async () => {
      const [doc] = await upload(name, [['../../etc/passwd', 'root:x:0:0 hostile filename test', 'text/plain']]);
      expect(doc.filename).toBe('passwd');
      // RFC 5987 filename*: busboy decodes it, so NUL, control and bidi characters reach the gateway.
      const { body, contentType } = rawMultipart({ collection_name: name }, [
        { field: 'files', filename: '', star: "UTF-8''..%5C..%5Cevil%00%07%1B%5B31m.txt", type: 'text/plain', content: 'control characters in the name' },
        { field: 'files', filename: '', star: "UTF-8''%E2%80%AEtxt.exe.md", type: 'text/markdown', content: 'bidi override in the name' },
      ]);
      const r = await request(gw).post('/v1/documents').set('content-type', contentType).send(body);
      expect(r.status).toBe(202);
      const names = r.body.documents.map((d: DocumentAccepted) => d.filename);
      for (const n of names) expect(n).not.toMatch(/[\u0000-\u001f\u007f/\\\u202e]/);
      expect(names).toEqual(['evil[31m.txt', 'txt.exe.md']);
      // Raw control bytes in the part header itself: a clean 4xx (or sanitised), never a 500.
      const raw = rawMultipart({ collection_name: name }, [{ field: 'files', filename: 'bad\u0000\u0007name.txt', type: 'text/plain', content: 'raw bytes' }]);
      const rr = await request(gw).post('/v1/documents').set('content-type', raw.contentType).send(raw.body);
      expect([202, 400]).toContain(rr.status);
      if (rr.status === 202) expect(rr.body.documents[0].filename).toBe('badname.txt');
      const ready = await waitForDocument(gw, doc.document_id);
      expect(ready.status).toBe('ready');
    });

    it('a PDF that fails to parse ends failed with the reason; a valid PDF is indexed', async () => {
      const [bad, good] = await upload(name, [
        ['broken.pdf', '%PDF-1.7\nthis is not really a pdf', 'application/pdf'],
        ['good.pdf', Buffer.from(minimalPdf('Photosynthesis converts light into chemical energy')), 'application/pdf'],
      ]);
      const failed = await waitForDocument(gw, bad.document_id);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/PDF/);
      expect(failed.chunk_count).toBe(0);
      const ok = await waitForDocument(gw, good.document_id);
      expect(ok.status).toBe('ready');
      const s = await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'photosynthesis' });
      expect(s.body.results[0].filename).toBe('good.pdf');
    });

    it('invalid JSON fails with the reason', async () => {
      const [doc] = await upload(name, [['data.json', '{"a": ', 'application/json']]);
      const d = await waitForDocument(gw, doc.document_id);
      expect(d.status).toBe('failed');
      expect(d.error).toMatch(/Invalid JSON/);
    });

    it('bad ids and queries → 404/422, never 500', async () => {
      expect((await request(gw).get('/v1/documents/not-a-uuid')).status).toBe(404);
      expect((await request(gw).get('/v1/documents/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await request(gw).delete('/v1/documents/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await request(gw).get('/v1/documents?limit=0')).status).toBe(422);
      expect((await request(gw).get('/v1/documents?collection_name=nope-zz')).status).toBe(404);
      expect((await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'x', top_k: 51 })).status).toBe(422);
      expect((await request(gw).post(`/v1/collections/${name}/search`).send({ query: '' })).status).toBe(422);
      // Punctuation-only and tsquery syntax are plain text, not errors.
      expect((await request(gw).post(`/v1/collections/${name}/search`).send({ query: "')|(&!:*" })).body).toEqual({ results: [] });
      expect((await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'a & !b | c:*' })).status).toBe(200);
    });

    afterAll(async () => {
      await expectHealthy();
    });
  });

  describe('search ranking', () => {
    it('ranks the most relevant chunk first and honours top_k', async () => {
      const name = await collection('rank');
      const docs = await upload(name, [
        [
          'tides.md',
          '# Tidal energy\n\nTidal energy harnesses the tides. Tidal power stations convert tidal currents into electricity; tidal energy is predictable.',
          'text/markdown',
        ],
        ['mixed.txt', 'Wind turbines and solar panels dominate renewables. Tidal energy is mentioned once here.', 'text/plain'],
        ['cooking.html', '<html><body><h1>Bread</h1><p>Knead the dough and bake it for forty minutes.</p></body></html>', 'text/html'],
        ['facts.json', JSON.stringify({ topic: 'geology', facts: ['granite is igneous', 'limestone is sedimentary'] }), 'application/json'],
      ]);
      for (const d of docs) expect((await waitForDocument(gw, d.document_id)).status).toBe('ready');

      const r = await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'How does tidal energy work?' });
      expect(r.status).toBe(200);
      const results = (r.body as SearchReply).results;
      expect(results.map((x) => x.filename)).toEqual(['tides.md', 'mixed.txt']);
      expect(results[0].score).toBeGreaterThan(results[1].score);
      expect(results[0]).toEqual({
        document_id: docs[0].document_id,
        filename: 'tides.md',
        chunk_index: 0,
        text: expect.stringContaining('Tidal'),
        score: expect.any(Number),
      });

      expect((await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'dough bake' })).body.results[0].filename).toBe('cooking.html');
      expect((await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'sedimentary limestone' })).body.results[0].filename).toBe('facts.json');
      expect((await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'tidal', top_k: 1 })).body.results).toHaveLength(1);
      expect((await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'quantum chromodynamics' })).body.results).toEqual([]);
    });

    it('splits long documents into overlapping chunks and finds the right one', async () => {
      const name = await collection('long');
      const filler = (i: number) => `Paragraph ${i} talks about ordinary municipal budgets and road maintenance schedules. `.repeat(6);
      const paragraphs = Array.from({ length: 40 }, (_, i) => (i === 27 ? 'The rare mineral vanadinite forms bright red hexagonal crystals.' : filler(i)));
      const [doc] = await upload(name, [['long.txt', paragraphs.join('\n\n')]]);
      const ready = await waitForDocument(gw, doc.document_id);
      expect(ready.chunk_count).toBeGreaterThan(10);
      const r = await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'vanadinite crystals', top_k: 3 });
      expect(r.body.results[0].text).toContain('vanadinite');
      expect(r.body.results[0].chunk_index).toBeGreaterThan(0);
    });
  });

  describe('re-upload dedupe', () => {
    it('the same content in the same collection keeps one document and one set of chunks', async () => {
      const name = await collection('dup');
      const content = 'Deduplication keeps the index clean. '.repeat(100);
      const [first] = await upload(name, [['one.txt', content]]);
      const ready = await waitForDocument(gw, first.document_id);
      const [again] = await upload(name, [['renamed.txt', content]]);
      expect(again.document_id).toBe(first.document_id);
      expect(again.duplicate).toBe(true);
      // Twice in one request as well.
      const both = await upload(name, [
        ['x.txt', content],
        ['y.txt', 'something else entirely'],
        ['z.txt', 'something else entirely'],
      ]);
      expect(both[0].document_id).toBe(first.document_id);
      expect(both[2].document_id).toBe(both[1].document_id);
      await waitForDocument(gw, both[1].document_id);
      const c = await request(gw).get(`/v1/collections/${name}`);
      expect(c.body.document_count).toBe(2);
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM knowledge.chunks WHERE document_id = $1`, [first.document_id]);
      expect(rows[0].n).toBe(ready.chunk_count);
      // Objects: one per document, the duplicates' copies were dropped.
      const objects = await pool.query(
        `SELECT object_name FROM knowledge.documents d JOIN knowledge.collections c ON c.id = d.collection_id WHERE c.name = $1`,
        [name],
      );
      const stored = await tb.files.list();
      const names = new Set(stored.filter((o) => !o.deleted).map((o) => o.name));
      for (const o of objects.rows) expect(names.has(o.object_name)).toBe(true);
      // The same content in another collection is its own document.
      const other = await collection('dup2');
      const [elsewhere] = await upload(other, [['one.txt', content]]);
      expect(elsewhere.document_id).not.toBe(first.document_id);
    });

    it('a failed document uploaded again is re-ingested', async () => {
      const name = await collection('retry');
      const [doc] = await upload(name, [['empty.txt', '   \n\n  ']]);
      const failed = await waitForDocument(gw, doc.document_id);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/no text/);
      const [again] = await upload(name, [['empty.txt', '   \n\n  ']]);
      expect(again.document_id).toBe(doc.document_id);
      expect(again.status).toBe('queued');
      expect((await waitForDocument(gw, doc.document_id)).status).toBe('failed');
    });
  });

  describe('deletes', () => {
    it('deleting a collection removes its documents, chunks and stored files', async () => {
      const name = await collection('del');
      const docs = await upload(name, [
        ['a.txt', 'alpha document about lighthouses'],
        ['b.txt', 'beta document about harbours'],
      ]);
      for (const d of docs) await waitForDocument(gw, d.document_id);
      const { rows } = await pool.query(`SELECT id, object_name FROM knowledge.documents WHERE id = ANY($1::uuid[])`, [docs.map((d) => d.document_id)]);
      expect(rows).toHaveLength(2);
      for (const r of rows) expect((await tb.files.info(r.object_name))?.deleted).toBe(false);

      const del = await request(gw).delete(`/v1/collections/${name}`);
      expect(del.status).toBe(200);
      expect(del.body).toEqual({ name, deleted: true, documents_deleted: 2 });
      expect((await request(gw).get(`/v1/collections/${name}`)).status).toBe(404);
      for (const d of docs) expect((await request(gw).get(`/v1/documents/${d.document_id}`)).status).toBe(404);
      const chunks = await pool.query(`SELECT count(*)::int AS n FROM knowledge.chunks WHERE document_id = ANY($1::uuid[])`, [docs.map((d) => d.document_id)]);
      expect(chunks.rows[0].n).toBe(0);
      for (const r of rows) expect((await tb.files.info(r.object_name))?.deleted ?? true).toBe(true);
      expect((await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'lighthouses' })).status).toBe(404);
      // The name is free again.
      expect((await request(gw).post('/v1/collections').send({ name })).status).toBe(201);
    });

    it('deleting a document removes its chunks and stored file', async () => {
      const name = await collection('deldoc');
      const [doc] = await upload(name, [['gone.txt', 'ephemeral lighthouse keeper notes']]);
      await waitForDocument(gw, doc.document_id);
      const { rows } = await pool.query(`SELECT object_name FROM knowledge.documents WHERE id = $1`, [doc.document_id]);
      expect((await request(gw).delete(`/v1/documents/${doc.document_id}`)).body).toEqual({ document_id: doc.document_id, deleted: true });
      expect((await request(gw).get(`/v1/documents/${doc.document_id}`)).status).toBe(404);
      expect((await tb.files.info(rows[0].object_name))?.deleted ?? true).toBe(true);
      expect((await request(gw).post(`/v1/collections/${name}/search`).send({ query: 'lighthouse' })).body.results).toEqual([]);
    });
  });

  describe('ownership over NATS (x-principal)', () => {
    const alice = { type: 'jwt', sub: `alice-${Date.now()}` };
    const bob = { type: 'jwt', sub: `bob-${Date.now()}` };

    it("a second principal cannot see, search, change or delete another's collection or documents", async () => {
      const name = unique('own');
      await tb.as(alice, (bus) => bus.request(Subjects.knowledge.collections.create, { name }));
      // Alice's document: the file goes to the object store, only its name on NATS.
      const objectName = `uploads/test-${Date.now()}`;
      await tb.files.putBlob({ name: objectName }, new TextEncoder().encode('Alice keeps secret notes about zeppelins.'));
      const reg = await tb.as(alice, (bus) =>
        bus.request(Subjects.knowledge.documents.register, {
          collection_name: name,
          files: [{ object_name: objectName, filename: 'secret.txt', format: 'text', content_type: 'text/plain', size_bytes: 41, sha256: 'a'.repeat(64) }],
        }),
      );
      const docId = reg.documents[0].document_id;
      const ready = await (async () => {
        for (let i = 0; i < 100; i++) {
          const d = await tb.as(alice, (bus) => bus.request(Subjects.knowledge.documents.get, { document_id: docId }));
          if (d.status === 'ready') return d as DocumentView;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('not ready');
      })();
      expect(ready.filename).toBe('secret.txt');
      const mine = await tb.as(alice, (bus) => bus.request(Subjects.knowledge.search, { collection_name: name, query: 'zeppelins' }));
      expect(mine.results).toHaveLength(1);

      const notFound = async (p: Promise<unknown>) => {
        const err = await p.then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(RemoteError);
        expect((err as RemoteError).status).toBe(404);
      };
      await notFound(tb.as(bob, (bus) => bus.request(Subjects.knowledge.collections.get, { name })));
      await notFound(tb.as(bob, (bus) => bus.request(Subjects.knowledge.search, { collection_name: name, query: 'zeppelins' })));
      await notFound(tb.as(bob, (bus) => bus.request(Subjects.knowledge.documents.get, { document_id: docId })));
      await notFound(tb.as(bob, (bus) => bus.request(Subjects.knowledge.documents.delete, { document_id: docId })));
      await notFound(tb.as(bob, (bus) => bus.request(Subjects.knowledge.collections.delete, { name })));
      await notFound(tb.as(bob, (bus) => bus.request(Subjects.knowledge.documents.list, { collection_name: name })));
      const bobsList = await tb.as(bob, (bus) => bus.request(Subjects.knowledge.collections.list, {}));
      expect(bobsList.collections).toEqual([]);
      const bobsDocs = await tb.as(bob, (bus) => bus.request(Subjects.knowledge.documents.list, {}));
      expect(bobsDocs.total).toBe(0);
      // Anonymous callers (no header) are a different owner too.
      await notFound(tb.bus.request(Subjects.knowledge.collections.get, { name }));
      // Names are unique per owner: Bob may have his own collection of the same name, empty.
      const bobs = await tb.as(bob, (bus) => bus.request(Subjects.knowledge.collections.create, { name }));
      expect(bobs.document_count).toBe(0);
      expect((await tb.as(bob, (bus) => bus.request(Subjects.knowledge.search, { collection_name: name, query: 'zeppelins' }))).results).toEqual([]);
      // Alice's data is untouched.
      expect((await tb.as(alice, (bus) => bus.request(Subjects.knowledge.collections.get, { name }))).document_count).toBe(1);
      await tb.as(alice, (bus) => bus.request(Subjects.knowledge.collections.delete, { name }));
      await tb.as(bob, (bus) => bus.request(Subjects.knowledge.collections.delete, { name }));
    });

    it('rejects malformed messages with 422', async () => {
      const err = await tb.bus
        .request(Subjects.knowledge.documents.register, {
          collection_name: 'x',
          files: [{ object_name: '../x', filename: 'a/b', format: 'exe', content_type: 'x', size_bytes: -1, sha256: 'z' }],
        } as never)
        .catch((e: RemoteError) => e);
      expect((err as RemoteError).status).toBe(422);
    });
  });
});
