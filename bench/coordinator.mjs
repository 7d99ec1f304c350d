#!/usr/bin/env node
// Coordinator benchmark: dispatch throughput (tasks/s) and submit→assigned latency with 50 agents.
//
//   npm run build && npm run bench -- coordinator   # gateway + coordinator(s) on free ports, private NATS, platform_bench
//   BENCH_URL=http://127.0.0.1:8000 npm run bench -- coordinator   # against a running stack instead
//
// Options (env): BENCH_TASKS (2000), BENCH_AGENTS (50), BENCH_CONCURRENCY (50 submitters),
// BENCH_REPLICAS (1 or 2 coordinators); BENCH_QUICK=1: 300 tasks, 10 agents, 20 submitters.
// BENCH_DATABASE_URL (platform_bench), BENCH_REDIS_URL (default: a private redis-server).
//
// 50 external agents are served by one local HTTP server (one path each). Every agent answers its
// delivery at once with the result (synchronous completion), and heartbeats every second. A task's
// latency is "submit request sent" → "delivery received by the agent", so it includes the gateway, NATS,
// the coordinator's claim transaction and the HTTP delivery. Throughput is tasks / (first submit → last
// delivery).

import http from 'node:http';
import { percentile } from './lib/load.mjs';
import { knob, log, sleep } from './lib/report.mjs';
import { Services } from './lib/services.mjs';

const N = knob('BENCH_TASKS', 2000, 300);
const AGENTS = knob('BENCH_AGENTS', 50, 10);
const CONCURRENCY = knob('BENCH_CONCURRENCY', 50, 20);
const REPLICAS = knob('BENCH_REPLICAS', 1);
const DB = process.env.BENCH_DATABASE_URL ?? 'postgres://platform:platform@127.0.0.1:5432/platform_bench';
const run = Math.random().toString(36).slice(2, 8);
const cap = `bench-${run}`;

/** Gateway + REPLICAS coordinators on a private NATS (or BENCH_URL); resolves with the gateway's URL. */
async function start(services) {
  if (process.env.BENCH_URL) return process.env.BENCH_URL;
  await services.postgres();
  await services.database(DB, ['agent-coordinator']);
  const nats = await services.nats();
  const redis = await services.redis();
  const env = {
    ...process.env,
    DATABASE_URL: DB,
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_BURST_PER_SECOND: '0',
  };
  const gateway = await services.app('gateway', env);
  const coordinators = [];
  for (let i = 0; i < REPLICAS; i++) coordinators.push(await services.app('agent-coordinator', env, { label: `agent-coordinator-${i + 1}` }));
  await services.ready([gateway, ...coordinators]);
  log(
    `gateway :${gateway.port}, coordinator${REPLICAS > 1 ? 's' : ''} :${coordinators.map((c) => c.port).join(', :')}, nats ${nats.url}; db ${new URL(DB).pathname.slice(1)}`,
  );
  return gateway.url;
}

const services = new Services('coordinator');
try {
  const base = await start(services);
  console.log(JSON.stringify(await measure(base), null, 2));
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await services.stop();
}
setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();

async function measure(base) {
  const post = async (p, body) => {
    const res = await fetch(`${base}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${text}`);
    return JSON.parse(text);
  };

  const sentAt = new Map();
  const receivedAt = new Map();
  let duplicates = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const d = JSON.parse(body);
      if (receivedAt.has(d.task_id)) duplicates++;
      else receivedAt.set(d.task_id, performance.now());
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"completed","result":null}');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  services.onStop(() => server.close());
  const port = server.address().port;

  const ids = Array.from({ length: AGENTS }, (_, i) => `bench-${run}-${i}`);
  for (const id of ids)
    await post('/agents/register', { agent_id: id, agent_type: 'worker', capabilities: [cap], endpoints: { http: `http://127.0.0.1:${port}/${id}` } });
  const beat = setInterval(() => ids.forEach((id) => void post(`/agents/${id}/heartbeat`).catch(() => undefined)), 1000);

  // Warm-up (connections, JIT, prepared plans).
  for (let i = 0; i < 50; i++) await post('/tasks/submit', { task_data: { warmup: i }, priority: 'normal', requirements: { capabilities: [cap] } });
  await sleep(1000);
  receivedAt.clear();

  const priorities = ['urgent', 'critical', 'high', 'normal', 'low'];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const i = next++;
        const sent = performance.now();
        const r = await post('/tasks/submit', { task_data: { i }, priority: priorities[i % 5], requirements: { capabilities: [cap] } });
        sentAt.set(r.task_id, sent);
      }
    }),
  );
  const submittedIn = performance.now() - t0;
  const deadline = Date.now() + 120_000;
  while ([...sentAt.keys()].some((id) => !receivedAt.has(id)) && Date.now() < deadline) await sleep(20);
  const mine = [...sentAt.keys()].filter((id) => receivedAt.has(id));
  const last = Math.max(...mine.map((id) => receivedAt.get(id)));
  const lat = mine.map((id) => receivedAt.get(id) - sentAt.get(id)).sort((a, b) => a - b);
  const pct = (p) => percentile(lat, p);

  clearInterval(beat);
  const stats = await fetch(`${base}/tasks/status`).then((r) => r.json());
  const result = {
    agents: AGENTS,
    tasks: N,
    delivered: mine.length,
    duplicates,
    coordinator_replicas: process.env.BENCH_URL ? 'external' : REPLICAS,
    submit_concurrency: CONCURRENCY,
    submit_rate_per_s: Math.round((N / submittedIn) * 1000),
    dispatch_throughput_tasks_per_s: Math.round((mine.length / (last - t0)) * 1000),
    submit_to_assigned_ms: { p50: +pct(50).toFixed(1), p90: +pct(90).toFixed(1), p99: +pct(99).toFixed(1), max: +lat[lat.length - 1].toFixed(1) },
    coordinator_avg_distribution_time_s: stats.stats?.avg_distribution_time,
  };
  for (const id of ids) await fetch(`${base}/agents/${id}`, { method: 'DELETE' }).catch(() => undefined);
  return result;
}
