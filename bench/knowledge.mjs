#!/usr/bin/env node
// Knowledge benchmark: ingest throughput (MB/s, chunks/s) for a generated 20 MB corpus uploaded
// through the gateway, and search latency p50/p99 over 100 000 chunks (written with the production
// KnowledgeStore, not through ingestion).
//
//   npm run build && npm run bench -- knowledge
//
// Env: BENCH_DATABASE_URL (platform_bench), BENCH_REDIS_URL (default: a private redis-server), BENCH_CORPUS_MB (20),
// BENCH_CHUNKS (100000), BENCH_QUERIES (500); BENCH_QUICK=1: 2 MB, 10 000 chunks, 100 queries.
// Starts a private nats-server (JetStream), the ingestor and a gateway on free ports (bench/lib/services.mjs)
// and stops them at the end.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { percentile } from './lib/load.mjs';
import { knowledge } from './lib/production.mjs';
import { knob, log, sleep } from './lib/report.mjs';
import { Services } from './lib/services.mjs';

const DB = process.env.BENCH_DATABASE_URL ?? 'postgres://platform:platform@127.0.0.1:5432/platform_bench';
const CORPUS_MB = knob('BENCH_CORPUS_MB', 20, 2);
const CHUNKS = knob('BENCH_CHUNKS', 100_000, 10_000);
const QUERIES = knob('BENCH_QUERIES', 500, 100);

const WORDS = (
  'energy ocean tidal solar wind turbine grid battery storage carbon climate policy market price demand supply ' +
  'network protocol server client latency throughput database index query search ranking document chunk vector ' +
  'river mountain forest desert glacier volcano island harbour lighthouse bridge tunnel railway airport canal ' +
  'protein enzyme genome cell tissue neuron synapse hormone vaccine antibody virus bacteria fungus plant seed ' +
  'history empire treaty revolution parliament election constitution court justice law trade tariff currency ' +
  'music melody rhythm harmony orchestra guitar piano violin poetry novel theatre painting sculpture museum ' +
  'the of and to in is that for on with as by at from it this be are was were which an or has have not but'
).split(' ');

// mulberry32: a seeded PRNG with a long period (documents must differ, or the ingestor dedupes them).
let seed = 42;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
// A Zipf-distributed vocabulary (real text is Zipfian): the topical words above, then 20 000 pseudo-words.
const SYL = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'zi', 'pe', 'sa', 'do', 'fu', 'gri', 'hal', 'jor', 'ben'];
const VOCAB = [...WORDS];
for (let i = 0; VOCAB.length < WORDS.length + 20_000; i++)
  VOCAB.push(SYL[i % 16] + SYL[Math.floor(i / 16) % 16] + SYL[Math.floor(i / 256) % 16] + (i >= 4096 ? SYL[Math.floor(i / 4096) % 16] : ''));
const CUM = [];
let acc = 0;
for (let r = 1; r <= VOCAB.length; r++) CUM.push((acc += 1 / r));
const word = () => {
  const x = rnd() * acc;
  let lo = 0;
  let hi = CUM.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CUM[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return VOCAB[lo];
};
function paragraph(n = 60) {
  const w = Array.from({ length: n }, word);
  w[0] = w[0][0].toUpperCase() + w[0].slice(1);
  return w.join(' ') + '.';
}
function document(bytes) {
  const parts = [];
  let len = 0;
  while (len < bytes) {
    const p = paragraph(40 + Math.floor(rnd() * 60));
    parts.push(p);
    len += p.length + 2;
  }
  return parts.join('\n\n');
}

async function main(services) {
  await services.postgres();
  await services.database(DB, ['knowledge-ingestor']);
  const nats = await services.nats();
  const redis = await services.redis();
  const env = {
    ...process.env,
    DATABASE_URL: DB,
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    KNOWLEDGE_ENABLED: 'true',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_BURST_PER_SECOND: '0',
    INGEST_CONCURRENCY: '2',
  };
  const ingestor = await services.app('knowledge-ingestor', env);
  const gateway = await services.app('gateway', env);
  await Promise.all([services.ready([ingestor], '/health/ready'), services.ready([gateway])]);
  log(`gateway :${gateway.port}, knowledge-ingestor :${ingestor.port}, nats ${nats.url}; db ${new URL(DB).pathname.slice(1)}, redis ${redis.url}`);
  const GW = gateway.url;
  const db = new pg.Pool({ connectionString: DB, max: 4 });
  services.onStop(() => db.end());
  const prod = await knowledge({ databaseUrl: DB });
  services.onStop(() => prod.close());
  const results = {};

  // ---- ingest ------------------------------------------------------------------------------
  const name = `bench-${randomUUID().slice(0, 8)}`;
  await fetch(`${GW}/v1/collections`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  const fileBytes = 512 * 1024;
  const files = Array.from({ length: Math.ceil((CORPUS_MB * 1024 * 1024) / fileBytes) }, (_, i) => ({ name: `doc-${i}.txt`, text: document(fileBytes) }));
  const totalBytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  const t0 = performance.now();
  const ids = [];
  for (let i = 0; i < files.length; i += 10) {
    const form = new FormData();
    form.append('collection_name', name);
    for (const f of files.slice(i, i + 10)) form.append('files', new Blob([f.text], { type: 'text/plain' }), f.name);
    const r = await fetch(`${GW}/v1/documents`, { method: 'POST', body: form });
    if (r.status !== 202) throw new Error(`upload ${r.status}: ${await r.text()}`);
    ids.push(...(await r.json()).documents.map((d) => d.document_id));
  }
  if (new Set(ids).size !== ids.length) throw new Error('generated documents collided (deduplicated)');
  const tUploaded = performance.now();
  let chunks;
  for (;;) {
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE status IN ('ready','failed'))::int AS done, coalesce(sum(chunk_count),0)::int AS chunks FROM knowledge.documents WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    if (rows[0].done === ids.length) {
      chunks = rows[0].chunks;
      break;
    }
    await sleep(100);
  }
  const secs = (performance.now() - t0) / 1000;
  results.ingest = {
    files: files.length,
    mb: +(totalBytes / 1024 / 1024).toFixed(2),
    chunks,
    upload_s: +((tUploaded - t0) / 1000).toFixed(2),
    total_s: +secs.toFixed(2),
    mb_per_s: +(totalBytes / 1024 / 1024 / secs).toFixed(2),
    chunks_per_s: Math.round(chunks / secs),
  };
  console.log(JSON.stringify({ ingest: results.ingest }));
  await fetch(`${GW}/v1/collections/${name}`, { method: 'DELETE' });

  // ---- search over CHUNKS chunks -------------------------------------------------------------
  const sname = `bench-search-${randomUUID().slice(0, 8)}`;
  const col = await (
    await fetch(`${GW}/v1/collections`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: sname }) })
  ).json();
  // The chunks are written as ingestion writes them (KnowledgeStore.insertDocument + writeChunks),
  // 1 000 per synthetic document, without parsing.
  const collection = await prod.store.findCollection('anonymous', col.name);
  const perDoc = 1000;
  const tIns = performance.now();
  for (let d = 0; d < CHUNKS / perDoc; d++) {
    const doc = await prod.store.insertDocument('anonymous', collection, {
      filename: `synthetic-${d}.txt`,
      format: 'text',
      content_type: 'text/plain',
      size_bytes: 0,
      sha256: randomUUID().replace(/-/g, '').padEnd(64, '0'),
      object_name: null,
    });
    const texts = Array.from({ length: perDoc }, () => paragraph(150));
    if (!(await prod.store.writeChunks(doc, texts, null))) throw new Error(`document ${doc.id} vanished`);
  }
  await db.query('ANALYZE knowledge.chunks');
  const insertS = (performance.now() - tIns) / 1000;
  const lat = [];
  for (let q = 0; q < QUERIES; q++) {
    // Content words, as users type them: skip the 200 most frequent (stop-word-like) ranks.
    const query = Array.from({ length: 2 + (q % 3) }, () => VOCAB[200 + Math.floor(rnd() * 5000)]).join(' ');
    const t = performance.now();
    const r = await fetch(`${GW}/v1/collections/${sname}/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, top_k: 5 }),
    });
    await r.json();
    if (r.status !== 200) throw new Error(`search ${r.status}`);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  results.search = {
    chunks: CHUNKS,
    queries: QUERIES,
    insert_s: +insertS.toFixed(1),
    p50_ms: +percentile(lat, 50).toFixed(1),
    p99_ms: +percentile(lat, 99).toFixed(1),
    max_ms: +lat[lat.length - 1].toFixed(1),
  };
  console.log(JSON.stringify({ search: results.search }));
  await fetch(`${GW}/v1/collections/${sname}`, { method: 'DELETE' });
  return results;
}

const services = new Services('knowledge');
try {
  console.log(JSON.stringify({ knowledge: await main(services) }));
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await services.stop();
}
setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
