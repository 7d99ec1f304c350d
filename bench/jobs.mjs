#!/usr/bin/env node
// Job engine benchmark (issue 3, "Benchmark"): every figure is measured against its raw component on
// the same machine in the same run, and printed as value / baseline / ratio / target / PASS|FAIL.
//
//   npm run build            # gateway + job-runner must be built (dist/)
//   npm run bench            # = node scripts/bench.mjs jobs = node bench/jobs.mjs
//   BENCH_ONLY=replay,live npm run bench     # a subset: submit, append, replay, live, memory
//
// Isolation: database `platform_bench` on the local Postgres (created when missing, job-runner
// migrations applied, job tables truncated at start), Redis db 7 (flushed at start), and a private
// nats-server on a free port (started and stopped here), so no other stack or test run interferes.
// Gateway and two job-runners are started from dist/ on free ports with the rate limits opened up:
// an API-only runner (JOB_CONCURRENCY=0) and a worker runner that executes the jobs.
//
// 1. submit   autocannon POST /v1/jobs/async/submit (echo) vs a bare express route (child process),
//             raw pg single-row INSERTs (pool of 20) and raw Bull adds (50 concurrent), with the worker
//             runner stopped (workers elsewhere); p99 at a given load from an open-loop generator
//             (evenly spaced requests, latency from the scheduled time). Then the same with the worker
//             executing the echo jobs on this machine (information).
// 2. append   the production append statement (EventLog.insert, copied verbatim) + one NATS publish per
//             event, 50-event batches from 20 concurrent jobs, vs a raw multi-row INSERT of the same
//             rows into the same table. Alternating rounds so background load hits both alike.
// 3. replay   a finished job with 10 000 events read over SSE (fetch + eventsource-parser).
// 4. live     1 000 SSE streams (2 client processes) on one running shallow_researcher job whose mock
//             LLM streams tokens; latency = client receive time − event.timestamp; also emit → a NATS
//             subscriber, and per event the first client to get it (where the tail comes from).
// 5. memory   gateway RSS growth for 5 000 idle SSE streams on top of 500 open ones, vs a bare
//             node:http SSE server (and, as information, a bare express one).
//
// Knobs (env): BENCH_ONLY, BENCH_DURATION_S (10), BENCH_CONNECTIONS (50), BENCH_APPEND_JOBS (20),
// BENCH_APPEND_BATCH (50), BENCH_APPEND_ROUNDS (3), BENCH_APPEND_ROUND_S (4), BENCH_LIVE_STREAMS (1000),
// BENCH_LIVE_TOKENS (400), BENCH_LIVE_DELAY_MS (25), BENCH_LIVE_CLIENT_PROCS (2), BENCH_IDLE_STREAMS
// (5000), BENCH_CPU_PROF=1 (gateway + job-runner write .cpuprofile files to .stack/logs/bench/prof),
// BENCH_TRACE_GC=1 (their GC trace in their logs),
// BENCH_JSON=<file> (also write the results as JSON), BENCH_DATABASE_URL, BENCH_REDIS_URL,
// BENCH_JOB_CONCURRENCY (64, the worker runner's slots). BENCH_ONLY=seq
// measures only the sequential single-client latencies of submit, GET /job and GET /agents.
//
// The file is also its own child: `node bench/jobs.mjs --child <role>` runs a helper process (express
// hello server, bare SSE server, SSE client pool) driven over IPC.

import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createParser } from 'eventsource-parser';

const SELF = fileURLToPath(import.meta.url);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (process.argv[2] === '--child') {
  await runChild(process.argv[3]);
} else {
  await main();
}

// ═════════════════════════════ helpers ═════════════════════════════

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function rssKb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

/** Opens one SSE stream with node:http and feeds frames to `onEvent`; resolves when it ends. */
function openSse(agent, url, { onEvent, onOpen, onEnd }) {
  const req = http.get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
    onOpen?.(res.statusCode);
    const parser = createParser({ onEvent });
    res.setEncoding('utf8');
    res.on('data', (chunk) => parser.feed(chunk));
    res.on('end', () => onEnd?.(null));
    res.on('error', (err) => onEnd?.(err));
  });
  req.on('error', (err) => onEnd?.(err));
  return req;
}

/** Runs `fn` with at most `limit` in flight over `items`. */
async function pool(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ═════════════════════════════ child processes ═════════════════════════════

async function runChild(role) {
  const send = (m) => process.send?.(m);
  process.on('disconnect', () => process.exit(0));

  if (role === 'express-hello') {
    // The raw HTTP framework baseline: express (what Nest runs on) with a JSON body parser, one route.
    const { default: express } = await import('express');
    const app = express();
    app.post('/hello', express.json(), (req, res) => res.json({ hello: 'world', got: typeof req.body?.input }));
    const server = app.listen(0, '127.0.0.1', () => send({ type: 'ready', port: server.address().port }));
    server.keepAliveTimeout = 30_000;
    return;
  }

  if (role === 'bare-sse' || role === 'express-sse') {
    // The raw SSE baseline: node:http holding each response open, same headers and opening frames as
    // the gateway (retry hint + stream.mode), one keep-alive timer for all. `express-sse` is the same
    // handler behind a bare express app (information: the floor of the HTTP framework the gateway uses).
    const open = new Set();
    const handler = (req, res) => {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
        'Content-Encoding': 'identity',
      });
      res.write('retry: 3000\n\n');
      res.write('event: stream.mode\ndata: {"mode":"live"}\n\n');
      open.add(res);
      req.on('close', () => open.delete(res));
    };
    let server;
    if (role === 'express-sse') {
      const { default: express } = await import('express');
      const app = express();
      app.get('/sse', handler);
      server = http.createServer(app);
    } else {
      server = http.createServer(handler);
    }
    server.keepAliveTimeout = 30_000;
    setInterval(() => {
      for (const res of open) res.write(': keep-alive\n\n');
    }, 15_000).unref();
    server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: server.address().port }));
    return;
  }

  if (role === 'sse-clients') {
    // A pool of SSE clients in its own process. `open` → opens the streams (ramped), reports
    // `connected` once every stream has seen `stream.mode: live`; in latency mode it records
    // now − event.timestamp for each live llm.chunk and reports `done` when every stream ended.
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const reqs = [];
    process.on('message', async (m) => {
      if (m.cmd === 'open') {
        const { url, count, concurrency, measure } = m;
        const latencies = [];
        const firstBySeq = {}; // per event, the earliest arrival in this process: separates upstream delay from fan-out
        const chunks = new Array(count).fill(0);
        const seqErrors = [];
        let connected = 0;
        let ended = 0;
        let failed = 0;
        const statuses = {};
        let startedAll = false;
        const checkConnected = () => {
          if (startedAll && connected + failed === count) send({ type: 'connected', connected, failed, statuses });
        };
        await pool(
          Array.from({ length: count }, (_, i) => i),
          concurrency,
          (i) =>
            new Promise((resolveOpen) => {
              let live = false;
              let lastId = 0;
              let settled = false;
              const settle = () => {
                if (!settled) {
                  settled = true;
                  resolveOpen();
                }
              };
              const req = openSse(agent, url, {
                onOpen: (status) => {
                  statuses[status] = (statuses[status] ?? 0) + 1;
                  if (status !== 200) {
                    failed++;
                    settle();
                    checkConnected();
                  }
                },
                onEvent: (ev) => {
                  if (ev.id !== undefined) {
                    const id = Number(ev.id);
                    if (id <= lastId && seqErrors.length < 10) seqErrors.push(`stream ${i}: id ${id} after ${lastId}`);
                    lastId = id;
                  }
                  if (ev.event === 'stream.mode') {
                    live = true;
                    connected++;
                    settle();
                    checkConnected();
                    return;
                  }
                  if (ev.event === 'llm.chunk') {
                    chunks[i]++;
                    if (measure && live) {
                      const ms = Date.now() - Date.parse(JSON.parse(ev.data).timestamp);
                      latencies.push(ms);
                      const seq = Number(ev.id);
                      if (!(firstBySeq[seq] <= ms)) firstBySeq[seq] = ms;
                    }
                  }
                },
                onEnd: (err) => {
                  if (!live && !settled) failed++;
                  settle();
                  checkConnected();
                  ended++;
                  if (err && seqErrors.length < 10) seqErrors.push(`stream ${i}: ${err.message}`);
                  if (measure && ended === count) send({ type: 'done', latencies, chunks, seqErrors, firstBySeq });
                },
              });
              reqs.push(req);
            }),
        );
        startedAll = true;
        checkConnected();
      } else if (m.cmd === 'close') {
        for (const r of reqs) r.destroy();
        agent.destroy();
        send({ type: 'closed' });
        setTimeout(() => process.exit(0), 100);
      }
    });
    send({ type: 'ready' });
    return;
  }

  throw new Error(`unknown child role ${role}`);
}

/** Forks a helper role of this file; resolves with the child and its first message. */
function forkChild(role, children) {
  const child = fork(SELF, ['--child', role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, ready: m }));
    child.once('exit', (code) => reject(new Error(`${role} child exited (${code}) before it was ready`)));
  });
}

function nextMessage(child, type, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const on = (m) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
}

// ═════════════════════════════ mock LLM ═════════════════════════════

/**
 * OpenAI-compatible streaming chat-completions server (the protocol of test/support/mock-llm.ts):
 * `[[tokens=N delay=MS]]` in the messages sets how many tokens and how slowly. Bench extension:
 * `hold=NAME` makes the response wait (before the first token) until release(NAME), so streams can be
 * opened on a job that is running but quiet.
 */
function startMockLlm() {
  const gates = new Map();
  const gate = (name) => {
    if (!gates.has(name)) {
      let release;
      const promise = new Promise((r) => (release = r));
      gates.set(name, { promise, release });
    }
    return gates.get(name);
  };
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return void res.writeHead(404).end();
    const parsed = JSON.parse(body);
    const text = parsed.messages.map((m) => m.content).join('\n');
    const tokens = Number(/tokens=(\d+)/.exec(text)?.[1] ?? 8);
    const delay = Number(/delay=(\d+)/.exec(text)?.[1] ?? 0);
    const hold = /hold=([\w-]+)/.exec(text)?.[1];
    let closed = false;
    res.on('close', () => (closed = true));
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const chunk = (content, finish = null) =>
      `data: ${JSON.stringify({ id: 'cmpl-1', object: 'chat.completion.chunk', created: 0, model: parsed.model, choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] })}\n\n`;
    if (hold) await gate(hold).promise;
    for (let i = 0; i < tokens; i++) {
      if (closed || res.destroyed) return;
      res.write(chunk(`tok${i} `));
      if (delay) await sleep(delay);
    }
    res.write(chunk(null, 'stop'));
    res.end('data: [DONE]\n\n');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/v1`,
        release: (name) => gate(name).release(),
        close: () => {
          for (const g of gates.values()) g.release();
          server.closeAllConnections();
          server.close();
        },
      }),
    ),
  );
}

// ═════════════════════════════ main ═════════════════════════════

/**
 * Open-loop load: POSTs at evenly spaced times whatever the responses do, latency counted from each
 * request's scheduled time (so a stall is not hidden by the generator waiting for it).
 */
async function openLoop({ url, body, rate, seconds }) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const total = Math.round(rate * seconds);
  const latencies = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise((finish) => {
    const settle = (scheduled, status) => {
      latencies.push(performance.now() - scheduled);
      if (status === 0) errors++;
      else if (status < 300) ok++;
      else non2xx++;
      if (++done === total) finish();
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      for (; sent < due; sent++) {
        const scheduled = t0 + (sent * 1000) / rate;
        const req = http.request(
          {
            agent,
            host: u.hostname,
            port: u.port,
            path: u.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
            timeout: 30_000,
          },
          (res) => {
            res.resume();
            res.on('end', () => settle(scheduled, res.statusCode));
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => settle(scheduled, 0));
        req.end(body);
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const ms = (p) => Math.round(percentile(latencies, p) * 10) / 10;
  return { offered_rps: rate, rps: Math.round(ok / seconds), p50_ms: ms(50), p99_ms: ms(99), max_ms: ms(100), ok, non2xx, errors };
}

async function main() {
  const { ensureInfra, ensureDatabase, appEntry, portOpen, startApp, stopApp, waitHttp, LOGS_DIR, STACK_DIR, setLogger } =
    await import('../scripts/lib/stack.mjs');
  const { default: pg } = await import('pg');
  const { default: Bull } = await import('bull');
  const { default: Redis } = await import('ioredis');
  const { default: autocannon } = await import('autocannon');
  const { connect: natsConnect } = await import('@nats-io/transport-node');

  const ONLY = new Set((process.env.BENCH_ONLY ?? 'submit,append,replay,live,memory').split(',').map((s) => s.trim()));
  const DURATION = Number(process.env.BENCH_DURATION_S ?? 10);
  const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
  const APPEND_JOBS = Number(process.env.BENCH_APPEND_JOBS ?? 20);
  const APPEND_BATCH = Number(process.env.BENCH_APPEND_BATCH ?? 50);
  const APPEND_ROUNDS = Number(process.env.BENCH_APPEND_ROUNDS ?? 3);
  const APPEND_ROUND_S = Number(process.env.BENCH_APPEND_ROUND_S ?? 4);
  const LIVE_STREAMS = Number(process.env.BENCH_LIVE_STREAMS ?? 1000);
  const LIVE_TOKENS = Number(process.env.BENCH_LIVE_TOKENS ?? 400);
  const LIVE_DELAY = Number(process.env.BENCH_LIVE_DELAY_MS ?? 25);
  const LIVE_PROCS = Number(process.env.BENCH_LIVE_CLIENT_PROCS ?? 2);
  const IDLE_STREAMS = Number(process.env.BENCH_IDLE_STREAMS ?? 5000);
  const WARM_STREAMS = 500; // open during the memory figure, before its baseline
  const REPLAY_EVENTS = 10_000;
  const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://platform:platform@127.0.0.1:5432/platform_bench';
  const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/7';
  const run = Math.random().toString(36).slice(2, 8);
  const benchLogs = path.join(LOGS_DIR, 'bench');
  fs.mkdirSync(benchLogs, { recursive: true });
  const log = (msg) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
  setLogger((m) => log(`stack: ${m}`));

  const rows = []; // the summary table
  const figures = {}; // everything measured, for JSON
  const record = (name, value, baseline, ratio, target, pass, unit) => {
    rows.push({ name, value, baseline, ratio, target, pass, unit });
    log(`${pass ? 'PASS' : 'FAIL'} ${name}: ${value} ${unit ?? ''} (baseline ${baseline ?? '—'}, ratio ${ratio ?? '—'}, target ${target})`);
  };

  // ── cleanup: everything this run starts is registered here and stopped in `finally` (and on signals)
  const children = new Set();
  const appPids = [];
  let natsProc;
  let natsDir;
  let mock;
  const closers = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    mock?.close();
    for (const c of closers.reverse()) await c().catch(() => undefined);
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(appPids.map((pid) => stopApp(pid, { timeoutMs: 15_000 }).catch(() => undefined)));
    if (natsProc && natsProc.exitCode === null) {
      natsProc.kill('SIGTERM');
      await new Promise((r) => (natsProc.exitCode !== null ? r() : natsProc.once('exit', r)));
    }
    if (natsDir) fs.rmSync(natsDir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      log(`${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    // ── infrastructure ──
    const fdLimit = Number((await new Promise((r) => spawn('bash', ['-c', 'ulimit -n']).stdout.on('data', (d) => r(String(d).trim())))) || 0);
    if (fdLimit < IDLE_STREAMS + 2000)
      log(`warning: open-file limit is ${fdLimit}; ${IDLE_STREAMS} streams need more (raise it with ulimit -n before running)`);
    for (const app of ['gateway', 'job-runner']) {
      if (!fs.existsSync(appEntry(app))) throw new Error(`${app} is not built: run npm run build`);
    }
    await ensureInfra({ env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:6379' }, only: ['postgres', 'redis'] });
    await ensureDatabase(DB_URL);

    const natsPort = await freePort();
    natsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobs-bench-nats-'));
    const natsConf = path.join(natsDir, 'nats.conf');
    fs.writeFileSync(natsConf, `host: 127.0.0.1\nport: ${natsPort}\nmax_payload: 8MB\njetstream {\n  store_dir: "${natsDir}/js"\n}\n`);
    natsProc = spawn('nats-server', ['-c', natsConf], { stdio: ['ignore', 'ignore', fs.openSync(path.join(benchLogs, 'jobs-nats.log'), 'w')] });
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    for (let i = 0; ; i++) {
      if (await portOpen(natsPort)) break;
      if (i > 100 || natsProc.exitCode !== null) throw new Error('nats-server did not start (see .stack/logs/bench/jobs-nats.log)');
      await sleep(100);
    }
    log(`nats-server on ${natsUrl} (pid ${natsProc.pid})`);

    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
    closers.push(() => redis.quit());
    await redis.flushdb();

    mock = await startMockLlm();
    const appEnv = {
      ...process.env,
      DATABASE_URL: DB_URL,
      NATS_URL: natsUrl,
      REDIS_URL,
      LOG_LEVEL: 'warn',
      // The config caps these at 1 000 000/min and 100 000/s: the limiter stays on (its Redis round
      // trips are part of the submit path) but never refuses.
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST_PER_SECOND: '100000',
      MAX_STREAMS_PER_CALLER: '100000',
      MAX_ACTIVE_JOBS_PER_CALLER: '0',
      JOB_CONCURRENCY: '0', // the API runner; jobs run on the worker runner below
      LLM_BASE_URL: mock.url,
      LLM_API_KEY: 'bench',
      LLM_TIMEOUT_MS: '600000', // the idle job's model call is held open for the whole memory run
    };
    delete appEnv.NODE_OPTIONS;
    const migrateRun = spawn(process.execPath, [appEntry('job-runner'), 'migrate'], { env: appEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let migrateOut = '';
    migrateRun.stdout.on('data', (d) => (migrateOut += d));
    migrateRun.stderr.on('data', (d) => (migrateOut += d));
    const migrateCode = await new Promise((r) => migrateRun.on('exit', r));
    if (migrateCode !== 0) throw new Error(`job-runner migrate failed:\n${migrateOut}`);

    const db = new pg.Pool({ connectionString: DB_URL, max: 20 });
    closers.push(() => db.end());
    await db.query('TRUNCATE job_runner.jobs CASCADE');

    const profDir = path.join(benchLogs, 'prof');
    // --cpu-prof is not allowed in NODE_OPTIONS, so a profiled app is spawned here with the flag.
    const start = (name, env, { port, logFile }) => {
      const flags = [
        ...(process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}-${port}.cpuprofile`] : []),
        ...(process.env.BENCH_TRACE_GC === '1' ? ['--trace-gc'] : []),
      ];
      if (flags.length === 0) return startApp(name, env, { port, logFile });
      fs.mkdirSync(profDir, { recursive: true });
      const out = fs.openSync(logFile, 'w');
      const child = spawn(process.execPath, [...flags, appEntry(name)], {
        env: { ...env, [name === 'gateway' ? 'PORT' : 'JOB_RUNNER_PORT']: String(port) },
        stdio: ['ignore', out, out],
        detached: true,
      });
      child.unref();
      return child.pid;
    };
    const gwPort = await freePort();
    const jrPort = await freePort();
    const gw2Port = await freePort();
    const gwPid = start('gateway', appEnv, { port: gwPort, logFile: path.join(benchLogs, 'jobs-gateway.log') });
    appPids.push(gwPid);
    const jrPid = start('job-runner', appEnv, { port: jrPort, logFile: path.join(benchLogs, 'jobs-job-runner.log') });
    appPids.push(jrPid);
    // Jobs run on a second job-runner (as a worker replica would in production), so the submit figure
    // can be taken with no job executing on these two cores: the worker is stopped for it.
    let workerPid = null;
    const startWorker = async () => {
      const port = await freePort();
      const env = { ...appEnv, JOB_CONCURRENCY: process.env.BENCH_JOB_CONCURRENCY ?? '64' };
      workerPid = start('job-runner', env, { port, logFile: path.join(benchLogs, `jobs-job-runner-worker-${port}.log`) });
      appPids.push(workerPid);
      await waitHttp(`http://127.0.0.1:${port}/health/ready`, 90_000, { pid: workerPid });
    };
    const stopWorker = async () => {
      await stopApp(workerPid);
      workerPid = null;
    };
    // A second, otherwise untouched gateway for the memory figure (a clean heap to measure against).
    const gw2Pid = ONLY.has('memory') ? startApp('gateway', appEnv, { port: gw2Port, logFile: path.join(benchLogs, 'jobs-gateway-mem.log') }) : null;
    if (gw2Pid) appPids.push(gw2Pid);
    await Promise.all([
      waitHttp(`http://127.0.0.1:${gwPort}/health`, 90_000, { pid: gwPid }),
      waitHttp(`http://127.0.0.1:${jrPort}/health`, 90_000, { pid: jrPid }),
      gw2Pid ? waitHttp(`http://127.0.0.1:${gw2Port}/health`, 90_000, { pid: gw2Pid }) : null,
    ]);
    await startWorker();
    const base = `http://127.0.0.1:${gwPort}/v1/jobs/async`;
    log(
      `gateway :${gwPort} (pid ${gwPid}), job-runner :${jrPort} (pid ${jrPid}, API only), worker (pid ${workerPid})${gw2Pid ? `, memory gateway :${gw2Port} (pid ${gw2Pid})` : ''}; db platform_bench, redis db 7`,
    );

    const submit = async (body, url = base) => {
      const res = await fetch(`${url}/submit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`submit: HTTP ${res.status} ${text}`);
      return JSON.parse(text);
    };
    const waitStatus = async (jobId, want, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const j = await fetch(`${base}/job/${jobId}`).then((r) => r.json());
        if (want.includes(j.status)) return j;
        if (Date.now() > deadline) throw new Error(`job ${jobId} is ${j.status}, not ${want.join('/')}, after ${timeoutMs} ms`);
        await sleep(100);
      }
    };
    const waitDrained = async (timeoutMs = 300_000) => {
      const t0 = Date.now();
      for (;;) {
        const { rows: r } = await db.query(`SELECT count(*)::int AS n FROM job_runner.jobs WHERE status IN ('submitted','running') AND owner = 'anonymous'`);
        if (r[0].n === 0) return (Date.now() - t0) / 1000;
        if (Date.now() - t0 > timeoutMs) throw new Error(`${r[0].n} jobs still unfinished after ${timeoutMs} ms`);
        await sleep(250);
      }
    };
    const ac = (opts) =>
      new Promise((resolve, reject) => {
        autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts }, (err, res) => (err ? reject(err) : resolve(res)));
      });
    const acSummary = (r) => ({
      rps: Math.round(r['2xx'] / r.duration),
      p50_ms: r.latency.p50,
      p99_ms: r.latency.p99,
      max_ms: r.latency.max,
      ok: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
    });
    const submitBody = JSON.stringify({ agent_type: 'echo', input: 'hello bench' });

    // Sanity: one echo job end to end before measuring anything (/health/ready would also want the
    // coordinator and the ingestor, which this bench does not run).
    const probe = await submit({ agent_type: 'echo', input: 'probe' });
    await waitStatus(probe.job_id, ['success'], 60_000);

    // ════════════ 1. submit ════════════
    if (ONLY.has('submit') || ONLY.has('seq')) {
      // One client, one request at a time: the unloaded latency of submit, and of GET /job (same
      // gateway → NATS → job-runner → Postgres path without the insert and the Bull add).
      const seqLat = async (fn, n = 40) => {
        const out = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          await fn();
          out.push(performance.now() - t0);
        }
        out.sort((a, b) => a - b);
        return { p50_ms: +percentile(out, 50).toFixed(1), p90_ms: +percentile(out, 90).toFixed(1), max_ms: +out.at(-1).toFixed(1) };
      };
      await seqLat(() => submit({ agent_type: 'echo', input: 'seq warm' }), 10);
      const seqSubmit = await seqLat(() => submit({ agent_type: 'echo', input: 'seq' }));
      const seqGet = await seqLat(() => fetch(`${base}/job/${probe.job_id}`).then((r) => r.text()));
      const seqAgents = await seqLat(() => fetch(`${base}/agents`).then((r) => r.text()));
      figures.sequential = { submit: seqSubmit, get_job: seqGet, agents: seqAgents };
      log(`sequential latency: submit ${JSON.stringify(seqSubmit)}, GET /job ${JSON.stringify(seqGet)}, GET /agents ${JSON.stringify(seqAgents)}`);
      await waitDrained();
    }
    if (ONLY.has('submit')) {
      log('submit: warm-up');
      await ac({ url: `${base}/submit`, method: 'POST', headers: { 'content-type': 'application/json' }, body: submitBody, duration: 3, connections: 10 });
      await waitDrained();

      // (a) bare express route
      const { child: expressChild, ready: er } = await forkChild('express-hello', children);
      await ac({ url: `http://127.0.0.1:${er.port}/hello`, method: 'POST', headers: { 'content-type': 'application/json' }, body: submitBody, duration: 2 });
      const express = acSummary(
        await ac({ url: `http://127.0.0.1:${er.port}/hello`, method: 'POST', headers: { 'content-type': 'application/json' }, body: submitBody }),
      );
      expressChild.kill();
      log(`submit: bare express ${express.rps} req/s, p99 ${express.p99_ms} ms`);

      // (b) raw pg single-row inserts, 20 concurrent on a pool of 20, into a scratch table shaped like jobs
      await db.query('CREATE SCHEMA IF NOT EXISTS bench_scratch');
      await db.query('DROP TABLE IF EXISTS bench_scratch.submits');
      await db.query(`CREATE TABLE bench_scratch.submits (
        id varchar(64) PRIMARY KEY, owner varchar(320) NOT NULL, agent_type varchar(64) NOT NULL, input text NOT NULL,
        options jsonb NOT NULL DEFAULT '{}', status varchar(16) NOT NULL, expiry_seconds integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now())`);
      const rawPg = async (seconds) => {
        let n = 0;
        const end = performance.now() + seconds * 1000;
        await Promise.all(
          Array.from({ length: 20 }, async () => {
            while (performance.now() < end) {
              await db.query(
                `INSERT INTO bench_scratch.submits (id, owner, agent_type, input, options, status, expiry_seconds) VALUES ($1, 'anonymous', 'echo', $2, $3, 'submitted', 86400)`,
                [randomUUID(), 'hello bench', '{"principal":{"type":"anonymous","sub":"anonymous"}}'],
              );
              n++;
            }
          }),
        );
        return Math.round(n / seconds);
      };
      await rawPg(1);
      const pgRate = await rawPg(DURATION);
      log(`submit: raw pg ${pgRate} inserts/s`);

      // (c) raw Bull adds, 50 concurrent, same options as JobQueue.enqueue
      const rawQueue = new Bull(`bench-raw-${run}`, REDIS_URL);
      const rawBull = async (seconds) => {
        let n = 0;
        const end = performance.now() + seconds * 1000;
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            while (performance.now() < end) {
              const id = randomUUID();
              await rawQueue.add({ job_id: id }, { jobId: id, removeOnComplete: true, removeOnFail: 1000, attempts: 1 });
              n++;
            }
          }),
        );
        return Math.round(n / seconds);
      };
      await rawBull(1);
      const bullRate = await rawBull(DURATION);
      await rawQueue.obliterate({ force: true }).catch(() => undefined);
      await rawQueue.close();
      log(`submit: raw Bull ${bullRate} adds/s`);

      // The product. Submit is measured with the worker runner stopped, i.e. with the workers on
      // other machines: the raw baselines run no jobs either, and on these two shared cores running
      // the echo jobs (four statements and three Redis round trips each) would be counted as submit
      // cost. The same runs with the worker executing every job on this machine follow, as information.
      // Latency under a given load comes from an open-loop generator (requests at evenly spaced
      // times, latency counted from the scheduled time): autocannon's rate mode fires each
      // connection's quota as a burst at the start of every second, which measures its own bursts.
      const submitRun = async () =>
        acSummary(await ac({ url: `${base}/submit`, method: 'POST', headers: { 'content-type': 'application/json' }, body: submitBody }));
      const submitAt = (rate) => openLoop({ url: `${base}/submit`, body: submitBody, rate, seconds: DURATION });
      const withoutWorker = async (fn) => {
        await stopWorker();
        try {
          return await fn();
        } finally {
          await startWorker();
          await waitDrained();
        }
      };
      const rawMin = Math.min(pgRate, bullRate);
      const halfRate = Math.max(1, Math.floor(rawMin / 2));
      const { full, half, ownHalf } = await withoutWorker(async () => {
        const full = await submitRun();
        log(`submit (workers elsewhere): ${full.rps} req/s, p99 ${full.p99_ms} ms (non-2xx ${full.non2xx}, errors ${full.errors})`);
        // Offering more than the maximum just measures a growing queue (and times out), so the
        // target load is only offered when the product can serve it.
        const half = full.rps >= halfRate ? await submitAt(halfRate) : null;
        if (half) log(`submit (workers elsewhere): at ${halfRate} req/s offered: ${half.rps} req/s, p50 ${half.p50_ms} ms, p99 ${half.p99_ms} ms`);
        else log(`submit: ${halfRate} req/s (½ of the raw minimum) is above the product's maximum; not offered`);
        const ownHalf = await submitAt(Math.max(1, Math.floor(full.rps / 2)));
        log(
          `submit (workers elsewhere): at ${ownHalf.offered_rps} req/s offered (half its own max): ${ownHalf.rps} req/s, p50 ${ownHalf.p50_ms} ms, p99 ${ownHalf.p99_ms} ms`,
        );
        return { full, half, ownHalf };
      });

      const withJobs = await submitRun();
      log(`submit (echo jobs running here): ${withJobs.rps} req/s, p99 ${withJobs.p99_ms} ms (non-2xx ${withJobs.non2xx}, errors ${withJobs.errors})`);
      const drainS = await waitDrained();
      log(`submit: the worker finished the backlog ${drainS.toFixed(1)} s after the run`);
      const withJobsHalf = await submitAt(Math.max(1, Math.floor(withJobs.rps / 2)));
      log(
        `submit (echo jobs running here): at ${withJobsHalf.offered_rps} req/s offered: ${withJobsHalf.rps} req/s, p50 ${withJobsHalf.p50_ms} ms, p99 ${withJobsHalf.p99_ms} ms`,
      );
      await waitDrained();
      figures.submit = {
        gateway: full,
        express,
        raw_pg_inserts_per_s: pgRate,
        raw_bull_adds_per_s: bullRate,
        half_load: half ?? { offered_rps: halfRate, served: false },
        half_own_max: ownHalf,
        with_jobs_running: { full: withJobs, half_own_max: withJobsHalf, backlog_drain_s: drainS },
      };
      const ratio = full.rps / rawMin;
      record(
        'submit req/s vs min(raw pg, raw Bull)',
        full.rps,
        `${rawMin} (pg ${pgRate}, Bull ${bullRate})`,
        ratio.toFixed(2),
        '≥ 0.5×',
        ratio >= 0.5 && full.non2xx === 0,
        'req/s',
      );
      record('submit req/s vs bare express', full.rps, express.rps, (full.rps / express.rps).toFixed(2), 'info', true, 'req/s');
      record('submit p99 at full load (50 conns)', full.p99_ms, `express ${express.p99_ms}`, '—', 'info', true, 'ms');
      record(
        `submit p99 at half load (${halfRate} req/s offered${half ? `, ${half.rps} served` : ', above the maximum: not offered'})`,
        half ? half.p99_ms : 'n/a',
        '—',
        '—',
        '< 50 ms',
        !!half && half.p99_ms < 50 && half.non2xx === 0 && half.errors === 0,
        'ms',
      );
      record(
        `submit p99 at half its own max (${ownHalf.offered_rps} req/s offered, ${ownHalf.rps} served)`,
        ownHalf.p99_ms,
        '—',
        '—',
        '< 50 ms (info)',
        ownHalf.p99_ms < 50,
        'ms',
      );
      record('submit req/s with the echo jobs running on this machine', withJobs.rps, '—', '—', 'info', true, 'req/s');
      record(
        `submit p99 with jobs running, at half that (${withJobsHalf.offered_rps} req/s offered, ${withJobsHalf.rps} served)`,
        withJobsHalf.p99_ms,
        '—',
        '—',
        'info',
        true,
        'ms',
      );
    }

    // ════════════ 2. event append ════════════
    if (ONLY.has('append')) {
      const nc = await natsConnect({ servers: natsUrl });
      closers.push(() => nc.close());
      const enc = new TextEncoder();
      const mkJobs = async (prefix) => {
        const ids = Array.from({ length: APPEND_JOBS }, (_, i) => `bench-${prefix}-${run}-${i}`);
        await db.query(
          `INSERT INTO job_runner.jobs (id, owner, agent_type, input, status, attempt, expiry_seconds, started_at)
           SELECT unnest($1::text[]), 'bench', 'echo', 'append bench', 'running', 1, 86400, now()`,
          [ids],
        );
        return ids;
      };
      const prodJobs = await mkJobs('append');
      const rawJobs = await mkJobs('raw');
      const rawSeq = new Map(rawJobs.map((id) => [id, 0]));
      let tokenNo = 0;
      const batchOf = () =>
        Array.from({ length: APPEND_BATCH }, () => ({
          type: 'llm.chunk',
          timestamp: new Date().toISOString(),
          data: { content: `tok${tokenNo++} `, step: 'answer' },
        }));

      // The production statement, copied verbatim from apps/job-runner/src/jobs/event-log.ts
      // (EventLog.insert), followed by what insert() does next: build the JobEvents and publish the batch
      // on job.events.<jobId> (Bus.publish = nc.publish(subject, JSON)). The only difference from
      // production is pg's Pool instead of TypeORM's DataSource.query on top of the same pg driver.
      const prodAppend = async (jobId) => {
        const events = batchOf();
        const rows = (
          await db.query(
            `WITH j AS (
         UPDATE job_runner.jobs SET last_seq = last_seq + $3, updated_at = now()
         WHERE id = $1 AND attempt = $2 AND status = 'running'
         RETURNING last_seq
       )
       INSERT INTO job_runner.job_events (job_id, seq, type, ts, data, metadata)
       SELECT $1, j.last_seq - $3 + e.ord, e.v->>'type', (e.v->>'timestamp')::timestamptz, e.v->'data', e.v->'metadata'
       FROM j, json_array_elements($4::json) WITH ORDINALITY AS e(v, ord)
       RETURNING seq`,
            [jobId, 1, events.length, JSON.stringify(events)],
          )
        ).rows;
        if (rows.length !== events.length) throw new Error(`append: ${rows.length} rows for ${events.length} events`);
        const first = Math.min(...rows.map((r) => Number(r.seq)));
        const subject = `job.events.${jobId}`;
        // Production publishes a write batch as one message (EventLog.publish); 50 small events fit one.
        nc.publish(subject, enc.encode(JSON.stringify(events.map((e, i) => ({ seq: first + i, type: e.type, timestamp: e.timestamp, data: e.data })))));
        return events.length;
      };
      // Raw: the same rows as one multi-row INSERT with pg, seqs assigned client-side.
      const rawAppend = async (jobId) => {
        const events = batchOf();
        const params = [];
        const values = events.map((e, i) => {
          const seq = rawSeq.get(jobId) + i + 1;
          params.push(jobId, seq, e.type, e.timestamp, JSON.stringify(e.data));
          const b = i * 5;
          return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, NULL)`;
        });
        rawSeq.set(jobId, rawSeq.get(jobId) + events.length);
        await db.query(`INSERT INTO job_runner.job_events (job_id, seq, type, ts, data, metadata) VALUES ${values.join(', ')}`, params);
        return events.length;
      };
      const drive = async (jobs, fn, seconds) => {
        let n = 0;
        const t0 = performance.now();
        const end = t0 + seconds * 1000;
        await Promise.all(
          jobs.map(async (id) => {
            while (performance.now() < end) n += await fn(id);
          }),
        );
        await nc.flush();
        return { events: n, seconds: (performance.now() - t0) / 1000 };
      };
      await drive(rawJobs, rawAppend, 1);
      await drive(prodJobs, prodAppend, 1);
      const tot = { prod: { events: 0, seconds: 0 }, raw: { events: 0, seconds: 0 } };
      const perRound = [];
      for (let r = 0; r < APPEND_ROUNDS; r++) {
        const a = await drive(rawJobs, rawAppend, APPEND_ROUND_S);
        const b = await drive(prodJobs, prodAppend, APPEND_ROUND_S);
        tot.raw.events += a.events;
        tot.raw.seconds += a.seconds;
        tot.prod.events += b.events;
        tot.prod.seconds += b.seconds;
        perRound.push({ raw: Math.round(a.events / a.seconds), prod: Math.round(b.events / b.seconds) });
        log(`append round ${r + 1}: raw ${perRound.at(-1).raw} ev/s, production ${perRound.at(-1).prod} ev/s`);
      }
      const prodRate = Math.round(tot.prod.events / tot.prod.seconds);
      const rawRate = Math.round(tot.raw.events / tot.raw.seconds);
      // Correctness of what was written: per job, seqs 1..last_seq with no gap.
      const { rows: gaps } = await db.query(
        `SELECT j.id, j.last_seq, count(e.seq)::int AS n, max(e.seq) AS max FROM job_runner.jobs j JOIN job_runner.job_events e ON e.job_id = j.id
         WHERE j.id = ANY($1) GROUP BY j.id, j.last_seq HAVING count(e.seq) <> j.last_seq OR max(e.seq) <> j.last_seq`,
        [prodJobs],
      );
      await db.query(`DELETE FROM job_runner.jobs WHERE id = ANY($1)`, [[...prodJobs, ...rawJobs]]);
      figures.append = {
        production_events_per_s: prodRate,
        raw_events_per_s: rawRate,
        batch: APPEND_BATCH,
        jobs: APPEND_JOBS,
        rounds: perRound,
        seq_anomalies: gaps.length,
      };
      const ratio = prodRate / rawRate;
      record(
        `event append (${APPEND_BATCH}/batch, ${APPEND_JOBS} jobs) vs raw batched INSERT`,
        prodRate,
        rawRate,
        ratio.toFixed(2),
        '≥ 0.5×',
        ratio >= 0.5 && gaps.length === 0,
        'events/s',
      );
    }

    // ════════════ 3. replay ════════════
    if (ONLY.has('replay')) {
      const jobId = `bench-replay-${run}`;
      await db.query(
        `INSERT INTO job_runner.jobs (id, owner, agent_type, input, options, status, attempt, last_seq, expiry_seconds, started_at, finished_at, expires_at)
         VALUES ($1, 'anonymous', 'echo', 'replay bench', '{}', 'success', 1, $2, 86400, now(), now(), now() + interval '1 day')`,
        [jobId, REPLAY_EVENTS],
      );
      await db.query(
        `INSERT INTO job_runner.job_events (job_id, seq, type, ts, data)
         SELECT $1, g,
                CASE WHEN g = 1 OR g = $2 THEN 'job.status' ELSE 'llm.chunk' END,
                now() + g * interval '1 millisecond',
                CASE WHEN g = 1 THEN '{"status":"running","attempt":1,"retried":false}'::json
                     WHEN g = $2 THEN '{"status":"success"}'::json
                     ELSE json_build_object('content', 'token ' || g || ' ', 'step', 'answer') END
         FROM generate_series(1, $2::int) AS g`,
        [jobId, REPLAY_EVENTS],
      );
      const replayOnce = async () => {
        const t0 = performance.now();
        const res = await fetch(`${base}/job/${jobId}/stream`);
        if (res.status !== 200) throw new Error(`replay: HTTP ${res.status}`);
        let n = 0;
        let expect = 1;
        let outOfOrder = 0;
        let modeFrames = 0;
        let last;
        const parser = createParser({
          onEvent: (ev) => {
            if (ev.event === 'stream.mode') return void modeFrames++;
            if (Number(ev.id) !== expect) outOfOrder++;
            expect = Number(ev.id) + 1;
            n++;
            last = ev;
          },
        });
        const decoder = new TextDecoder();
        for await (const chunk of res.body) parser.feed(decoder.decode(chunk, { stream: true }));
        const ms = performance.now() - t0;
        const terminal = last?.event === 'job.status' && JSON.parse(last.data).data.status === 'success';
        return { ms: Math.round(ms), events: n, out_of_order: outOfOrder, stream_mode_frames: modeFrames, ended_with_success: terminal };
      };
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await replayOnce());
      await db.query(`DELETE FROM job_runner.jobs WHERE id = $1`, [jobId]);
      const sortedMs = runs.map((r) => r.ms).sort((a, b) => a - b);
      const median = sortedMs[Math.floor(sortedMs.length / 2)];
      const allOk = runs.every((r) => r.events === REPLAY_EVENTS && r.out_of_order === 0 && r.stream_mode_frames === 0 && r.ended_with_success);
      figures.replay = { events: REPLAY_EVENTS, runs, median_ms: median, worst_ms: sortedMs.at(-1) };
      log(`replay: ${runs.map((r) => `${r.ms} ms/${r.events} ev`).join(', ')}`);
      record(
        `replay ${REPLAY_EVENTS} events over SSE (median of 5; worst ${sortedMs.at(-1)} ms, first ${runs[0].ms} ms)`,
        median,
        '—',
        '—',
        '< 1000 ms, all in order',
        median < 1000 && sortedMs.at(-1) < 1000 && allOk,
        'ms',
      );
    }

    // ════════════ 4. live latency ════════════
    if (ONLY.has('live')) {
      const { job_id: jobId } = await submit({ agent_type: 'shallow_researcher', input: `live bench [[tokens=${LIVE_TOKENS} delay=${LIVE_DELAY} hold=live]]` });
      await waitStatus(jobId, ['running']);
      const procs = await Promise.all(Array.from({ length: LIVE_PROCS }, () => forkChild('sse-clients', children)));
      const per = Math.ceil(LIVE_STREAMS / LIVE_PROCS);
      const t0 = performance.now();
      const connectedMsgs = procs.map(({ child }) => nextMessage(child, 'connected', 180_000));
      const doneMsgs = procs.map(({ child }) => nextMessage(child, 'done', 600_000));
      procs.forEach(({ child }, i) =>
        child.send({ cmd: 'open', url: `${base}/job/${jobId}/stream`, count: Math.min(per, LIVE_STREAMS - i * per), concurrency: 100, measure: true }),
      );
      const connected = await Promise.all(connectedMsgs);
      const nConnected = connected.reduce((a, m) => a + m.connected, 0);
      log(
        `live: ${nConnected}/${LIVE_STREAMS} streams live in ${Math.round(performance.now() - t0)} ms${connected.some((m) => m.failed) ? ` (failed: ${JSON.stringify(connected.map((m) => m.statuses))})` : ''}`,
      );
      // What a NATS subscriber sees (emit → published): the part of the latency before any gateway.
      const probeNc = await natsConnect({ servers: natsUrl });
      const published = [];
      probeNc.subscribe(`job.events.${jobId}`, {
        callback: (_err, msg) => {
          const now = Date.now();
          const body = JSON.parse(new TextDecoder().decode(msg.data));
          for (const e of Array.isArray(body) ? body : [body]) if (e.type === 'llm.chunk') published.push(now - Date.parse(e.timestamp));
        },
      });
      await probeNc.flush();
      const cpu0 = { gw: procCpu(gwPid), jr: procCpu(workerPid), clients: procs.map(({ child }) => procCpu(child.pid)) };
      const tRelease = performance.now();
      mock.release('live');
      const done = await Promise.all(doneMsgs);
      const wall = (performance.now() - tRelease) / 1000;
      const cpu1 = { gw: procCpu(gwPid), jr: procCpu(workerPid), clients: procs.map(({ child }) => procCpu(child.pid)) };
      const cpuPct = (a, b) => Math.round(((b - a) / wall) * 100);
      await probeNc.close();
      published.sort((a, b) => a - b);
      for (const { child } of procs) child.kill();
      const lat = done.flatMap((m) => m.latencies).sort((a, b) => a - b);
      const chunks = done.flatMap((m) => m.chunks);
      const incomplete = chunks.filter((c) => c !== LIVE_TOKENS).length;
      const seqErrors = done.flatMap((m) => m.seqErrors);
      // Per event, the first client to get it: its delay is upstream of the fan-out (batching, insert,
      // NATS, the gateway's first write); the rest of each sample is the fan-out and the client.
      const first = {};
      for (const m of done) for (const [seq, ms] of Object.entries(m.firstBySeq)) if (!(first[seq] <= ms)) first[seq] = ms;
      const firstLat = Object.values(first).sort((a, b) => a - b);
      const job = await waitStatus(jobId, ['success', 'failure'], 30_000);
      figures.live = {
        streams: LIVE_STREAMS,
        connected: nConnected,
        tokens: LIVE_TOKENS,
        token_delay_ms: LIVE_DELAY,
        samples: lat.length,
        p50_ms: percentile(lat, 50),
        p90_ms: percentile(lat, 90),
        p99_ms: percentile(lat, 99),
        max_ms: lat.at(-1),
        emit_to_nats_subscriber: { p50_ms: percentile(published, 50), p99_ms: percentile(published, 99), max_ms: published.at(-1) },
        first_client_per_event: { p50_ms: percentile(firstLat, 50), p99_ms: percentile(firstLat, 99), max_ms: firstLat.at(-1) },
        streams_missing_chunks: incomplete,
        seq_errors: seqErrors,
        job_status: job.status,
        cpu_percent_during_stream: {
          gateway: cpuPct(cpu0.gw, cpu1.gw),
          job_runner: cpuPct(cpu0.jr, cpu1.jr),
          clients: cpu0.clients.map((c, i) => cpuPct(c, cpu1.clients[i])),
        },
        client_processes: LIVE_PROCS,
      };
      log(`live: ${JSON.stringify(figures.live)}`);
      record(
        `live emit→client latency, ${LIVE_STREAMS} streams (p50 ${figures.live.p50_ms} ms)`,
        figures.live.p99_ms,
        '—',
        '—',
        'p99 < 50 ms',
        figures.live.p99_ms < 50 && incomplete === 0 && seqErrors.length === 0 && nConnected === LIVE_STREAMS,
        'ms p99',
      );
    }

    // ════════════ 5. memory per idle SSE connection ════════════
    if (ONLY.has('memory')) {
      const memBase = `http://127.0.0.1:${gw2Port}/v1/jobs/async`;
      const { job_id: idleJob } = await submit({ agent_type: 'shallow_researcher', input: 'idle bench [[tokens=1 delay=0 hold=idle]]' }, memBase);
      await waitStatus(idleJob, ['running']);
      const measureServer = async (label, pid, url) => {
        // Warm-up: 500 streams opened and kept open, so lazily loaded code, pools and a heap sized for
        // open streams exist before the baseline: the figure is the marginal cost of 5 000 more, not
        // the heap growth that any first connections cause (which made runs vary by ±50 %).
        const { child: warm } = await forkChild('sse-clients', children);
        const warmConnected = nextMessage(warm, 'connected');
        warm.send({ cmd: 'open', url, count: WARM_STREAMS, concurrency: 100, measure: false });
        await warmConnected;
        await sleep(5000);
        const before = rssKb(pid);
        const { child } = await forkChild('sse-clients', children);
        const connected = nextMessage(child, 'connected', 300_000);
        const t0 = performance.now();
        child.send({ cmd: 'open', url, count: IDLE_STREAMS, concurrency: 200, measure: false });
        const c = await connected;
        const openMs = Math.round(performance.now() - t0);
        await sleep(5000); // settle: let the allocations of the ramp be collected
        const after = rssKb(pid);
        child.send({ cmd: 'close' });
        warm.send({ cmd: 'close' });
        await Promise.all([nextMessage(child, 'closed'), nextMessage(warm, 'closed')]);
        const perConnKb = (after - before) / c.connected;
        log(`memory ${label}: ${c.connected}/${IDLE_STREAMS} open in ${openMs} ms; RSS ${before} → ${after} kB = ${perConnKb.toFixed(2)} kB/conn`);
        return {
          connected: c.connected,
          failed: c.failed,
          statuses: c.statuses,
          rss_before_kb: before,
          rss_after_kb: after,
          kb_per_connection: +perConnKb.toFixed(2),
          open_ms: openMs,
        };
      };
      const gwMem = await measureServer('gateway', gw2Pid, `${memBase}/job/${idleJob}/stream`);
      const { child: bare, ready: br } = await forkChild('bare-sse', children);
      const bareMem = await measureServer('bare node:http', bare.pid, `http://127.0.0.1:${br.port}/sse`);
      bare.kill();
      const { child: ex, ready: exr } = await forkChild('express-sse', children);
      const expressMem = await measureServer('bare express', ex.pid, `http://127.0.0.1:${exr.port}/sse`);
      ex.kill();
      mock.release('idle');
      figures.memory = { streams: IDLE_STREAMS, gateway: gwMem, bare: bareMem, express: expressMem };
      const ratio = gwMem.kb_per_connection / bareMem.kb_per_connection;
      record(
        `memory per idle SSE connection at ${IDLE_STREAMS}`,
        gwMem.kb_per_connection,
        bareMem.kb_per_connection,
        ratio.toFixed(2),
        '≤ 2×',
        ratio <= 2 && gwMem.connected === IDLE_STREAMS && bareMem.connected === IDLE_STREAMS,
        'kB/conn',
      );
      record(
        'memory per idle SSE connection, bare express (floor of the HTTP framework)',
        expressMem.kb_per_connection,
        bareMem.kb_per_connection,
        (expressMem.kb_per_connection / bareMem.kb_per_connection).toFixed(2),
        'info',
        true,
        'kB/conn',
      );
    }

    // ════════════ summary ════════════
    const machine = {
      date: new Date().toISOString(),
      nproc: os.availableParallelism?.() ?? os.cpus().length,
      cpu: os.cpus()[0]?.model,
      node: process.version,
      loadavg_at_end: os.loadavg().map((x) => +x.toFixed(2)),
    };
    console.log(
      `\nJob engine benchmark — ${machine.date}, ${machine.nproc} cores (${machine.cpu}), Node ${machine.node}, load ${machine.loadavg_at_end.join(' ')}\n`,
    );
    console.log('| figure | value | baseline | ratio | target | result |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows)
      console.log(
        `| ${r.name} | ${r.value} ${r.unit ?? ''} | ${r.baseline ?? '—'} | ${r.ratio ?? '—'} | ${r.target} | ${r.target === 'info' ? '—' : r.pass ? 'PASS' : 'FAIL'} |`,
      );
    console.log(`\n${JSON.stringify({ machine, figures }, null, 2)}`);
    if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ machine, figures, rows }, null, 2));
    process.exitCode = rows.every((r) => r.pass) ? 0 : 1;
  } finally {
    await cleanup();
    if (process.env.BENCH_CPU_PROF === '1') log(`cpu profiles: ${path.join(path.relative(process.cwd(), STACK_DIR), 'logs', 'bench', 'prof')}`);
  }
  // pg/ioredis/nats sockets are closed; exit explicitly in case a library keeps a timer alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function procCpu(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (100 Hz)
  } catch {
    return 0;
  }
}
