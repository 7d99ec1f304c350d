#!/usr/bin/env node
// Coordinator benchmark: dispatch throughput (tasks/s) and submit→assigned latency with 50 agents.
//
//   npx nest build agent-coordinator && npx nest build gateway
//   node bench/coordinator.mjs            # starts gateway + coordinator on 18290/18292 (test database, test NATS)
//   BENCH_URL=http://127.0.0.1:8000 node bench/coordinator.mjs   # against a running stack instead
//
// Options (env): BENCH_TASKS (2000), BENCH_AGENTS (50), BENCH_CONCURRENCY (50 submitters),
// BENCH_REPLICAS (1 or 2 coordinators). Infrastructure URLs: TEST_DATABASE_URL / TEST_NATS_URL as in `npm test`.
//
// 50 external agents are served by one local HTTP server (one path each). Every agent answers its
// delivery at once with the result (synchronous completion), and heartbeats every second. A task's
// latency is "submit request sent" → "delivery received by the agent", so it includes the gateway, NATS,
// the coordinator's claim transaction and the HTTP delivery. Throughput is tasks / (first submit → last
// delivery).

import http from 'node:http';
import path from 'node:path';
import { startApp, stopApp, waitHttp, LOGS_DIR } from '../scripts/lib/stack.mjs';

const N = Number(process.env.BENCH_TASKS ?? 2000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1);
const run = Math.random().toString(36).slice(2, 8);
const cap = `bench-${run}`;

const env = {
  ...process.env,
  DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://platform:platform@127.0.0.1:5432/platform_test',
  NATS_URL: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:14222',
  REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/1',
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_BURST_PER_SECOND: '0',
};

const started = [];
let base = process.env.BENCH_URL;
if (!base) {
  const logFile = (n, p) => path.join(LOGS_DIR, 'bench', `${n}-${p}.log`);
  started.push(startApp('gateway', env, { port: 18290, logFile: logFile('gateway', 18290) }));
  for (let i = 0; i < REPLICAS; i++)
    started.push(startApp('agent-coordinator', env, { port: 18292 + i * 4, logFile: logFile('agent-coordinator', 18292 + i * 4) }));
  await Promise.all([
    waitHttp('http://127.0.0.1:18290/health', 60_000),
    ...Array.from({ length: REPLICAS }, (_, i) => waitHttp(`http://127.0.0.1:${18292 + i * 4}/health`, 60_000)),
  ]);
  base = 'http://127.0.0.1:18290';
}

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
const port = server.address().port;

const ids = Array.from({ length: AGENTS }, (_, i) => `bench-${run}-${i}`);
for (const id of ids)
  await post('/agents/register', { agent_id: id, agent_type: 'worker', capabilities: [cap], endpoints: { http: `http://127.0.0.1:${port}/${id}` } });
const beat = setInterval(() => ids.forEach((id) => void post(`/agents/${id}/heartbeat`).catch(() => undefined)), 1000);

// Warm-up (connections, JIT, prepared plans).
for (let i = 0; i < 50; i++) await post('/tasks/submit', { task_data: { warmup: i }, priority: 'normal', requirements: { capabilities: [cap] } });
await new Promise((r) => setTimeout(r, 1000));
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
while ([...sentAt.keys()].some((id) => !receivedAt.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const mine = [...sentAt.keys()].filter((id) => receivedAt.has(id));
const last = Math.max(...mine.map((id) => receivedAt.get(id)));
const lat = mine.map((id) => receivedAt.get(id) - sentAt.get(id)).sort((a, b) => a - b);
const pct = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];

clearInterval(beat);
const stats = await fetch(`${base}/tasks/status`).then((r) => r.json());
const result = {
  agents: AGENTS,
  tasks: N,
  delivered: mine.length,
  duplicates,
  coordinator_replicas: base === 'http://127.0.0.1:18290' ? REPLICAS : 'external',
  submit_concurrency: CONCURRENCY,
  submit_rate_per_s: Math.round((N / submittedIn) * 1000),
  dispatch_throughput_tasks_per_s: Math.round((mine.length / (last - t0)) * 1000),
  submit_to_assigned_ms: { p50: +pct(50).toFixed(1), p90: +pct(90).toFixed(1), p99: +pct(99).toFixed(1), max: +lat[lat.length - 1].toFixed(1) },
  coordinator_avg_distribution_time_s: stats.stats?.avg_distribution_time,
};
console.log(JSON.stringify(result, null, 2));

for (const id of ids) await fetch(`${base}/agents/${id}`, { method: 'DELETE' }).catch(() => undefined);
server.close();
await Promise.all(started.map((pid) => stopApp(pid, { timeoutMs: 10_000 })));
process.exit(0);
