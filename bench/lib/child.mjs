// A helper process of the benches, forked by children.mjs: `node bench/lib/child.mjs <role>`.
//   express-hello   bare express with a JSON body parser, one POST route (the HTTP framework baseline)
//   bare-sse        node:http holding SSE responses open (the raw SSE baseline)
//   express-sse     the same handler behind a bare express app (the framework's floor)
//   sse-clients     a pool of SSE clients: opens streams on `open`, reports `connected`, and in
//                   latency mode `done` with now − event.timestamp of each live llm.chunk
import http from 'node:http';
import { createParser } from 'eventsource-parser';
import { pool } from './load.mjs';

/** Opens one SSE stream with node:http and feeds frames to `onEvent`. */
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

await runChild(process.argv[2]);
