// Load generation: closed-loop throughput (autocannon), open-loop latency at a given rate, sequential
// single-client latency, and a bounded-concurrency pool.
import http from 'node:http';
import autocannon from 'autocannon';

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool(items, limit, fn) {
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

/**
 * Closed loop: `connections` clients each sending the next request when the last one answered, for
 * `duration` s (autocannon). Returns 2xx/s and latency in ms.
 */
export async function closedLoop({ url, method = 'GET', body, connections, duration }) {
  const r = await new Promise((resolve, reject) =>
    autocannon({ url, method, connections, duration, ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }) }, (err, res) =>
      err ? reject(err) : resolve(res),
    ),
  );
  return {
    rps: Math.round(r['2xx'] / r.duration),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

/**
 * Open loop: requests at evenly spaced times whatever the responses do, latency counted from each
 * request's scheduled time (a stall is not hidden by the generator waiting for it). autocannon's rate
 * mode fires each connection's quota as a burst at the start of every second, which measures its own
 * bursts; this does not.
 */
export async function openLoop({ url, method = 'POST', body, rate, seconds }) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let done = 0;
  const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
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
        const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method, headers, timeout: 30_000 }, (res) => {
          res.resume();
          res.on('end', () => settle(scheduled, res.statusCode));
        });
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

/** One client, one request at a time: `n` runs of `fn`, latency in ms. */
export async function sequential(fn, n = 40) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  out.sort((a, b) => a - b);
  return { p50_ms: +percentile(out, 50).toFixed(1), p90_ms: +percentile(out, 90).toFixed(1), max_ms: +out.at(-1).toFixed(1) };
}
