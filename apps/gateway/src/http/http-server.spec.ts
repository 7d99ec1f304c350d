import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { HttpServerControl } from './http-server';

const LIMITS = { headersTimeoutMs: 1000, bodyIdleTimeoutMs: 1000, requestTimeoutMs: 2500, uploadTimeoutMs: 6000 };

/** A server whose handler reads the body (like the JSON parser) and answers after `delayMs`. */
async function serve(handler?: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = http.createServer(
    handler ??
      ((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => res.end(`got ${Buffer.concat(chunks).length} bytes`));
        req.on('error', () => undefined);
      }),
  );
  const control = new HttpServerControl(server, LIMITS);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { server, control, port: (server.address() as AddressInfo).port };
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A raw connection: what it writes, what the server answers and when it closed. */
function raw(port: number, first: string) {
  const t0 = Date.now();
  const socket = net.connect(port, '127.0.0.1', () => socket.write(first));
  let answer = '';
  socket.on('data', (d) => (answer += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - t0)));
  return {
    socket,
    closed,
    get answer() {
      return answer;
    },
    get status() {
      return answer.split('\r\n')[0];
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POST = (length: number, type = 'application/json') => `POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`;

describe('HttpServerControl: slow or broken clients', () => {
  it('closes a request whose head never completes within the headers timeout (408)', async () => {
    const { port } = await serve();
    const c = raw(port, 'POST /x HTTP/1.1\r\nHost: h\r\n');
    const after = await c.closed;
    expect(c.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(after).toBeLessThan(LIMITS.headersTimeoutMs + 1500);
  });

  it('answers 408 and closes a body that stalls, within the idle timeout', async () => {
    const { port } = await serve();
    const c = raw(port, `${POST(200)}{"partial`);
    const after = await c.closed;
    expect(c.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(c.answer).toMatch(/Connection: close/i);
    expect(c.answer).toContain('"detail":"Request body stalled');
    expect(after).toBeLessThan(LIMITS.bodyIdleTimeoutMs + 1500);
  });

  it('lets a slow body through as long as it keeps coming, and a slow handler after it', async () => {
    const { port } = await serve((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('done'), 1800)); // longer than the idle timeout, after the body
    });
    const c = raw(port, POST(6));
    for (const ch of 'abcdef') {
      await sleep(300);
      c.socket.write(ch);
    }
    await sleep(2500);
    expect(c.status).toBe('HTTP/1.1 200 OK');
    expect(c.answer.endsWith('done')).toBe(true);
    c.socket.destroy();
  });

  it('cuts a body that keeps trickling past the request timeout; uploads get their own, longer bound', async () => {
    const { port } = await serve();
    const json = raw(port, POST(100));
    const upload = raw(port, POST(100, 'multipart/form-data; boundary=b'));
    const trickle = setInterval(() => {
      json.socket.write('x');
      upload.socket.write('x');
    }, 300);
    try {
      const after = await json.closed;
      expect(json.status).toBe('HTTP/1.1 408 Request Timeout');
      expect(json.answer).toContain('not received within 2.5 s');
      expect(after).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs);
      expect(after).toBeLessThan(LIMITS.requestTimeoutMs + 1500);
      expect(upload.answer).toBe(''); // still coming, within UPLOAD bound
    } finally {
      clearInterval(trickle);
      upload.socket.destroy();
    }
  });
});

describe('HttpServerControl.drain', () => {
  it('stops accepting, ends streams, waits for in-flight requests only as long as they take, then closes every connection', async () => {
    let streamRes: ServerResponse | undefined;
    const { port, control } = await serve((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('retry: 3000\n\n');
        streamRes = res;
        return;
      }
      setTimeout(() => res.end('slow answer'), 600);
    });
    const stream = raw(port, 'GET /stream HTTP/1.1\r\nHost: h\r\n\r\n');
    const stalledHead = raw(port, 'GET /x HTTP/1.1\r\nHost: h\r\n');
    await sleep(100);
    const slow = raw(port, 'GET /slow HTTP/1.1\r\nHost: h\r\n\r\n');
    await sleep(100);
    const t0 = Date.now();
    await control.drain(10_000, () => streamRes?.end());
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(400); // the slow request finished
    expect(took).toBeLessThan(1500); // not the grace period, not the stalled head
    await Promise.all([stream.closed, stalledHead.closed, slow.closed]);
    expect(slow.answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(slow.answer).toMatch(/Connection: close/i);
    expect(slow.answer.endsWith('slow answer')).toBe(true);
    expect(stream.answer).toContain('retry: 3000');
    expect(stalledHead.answer).toBe('');
    await expect(
      new Promise((resolve, reject) => net.connect(port, '127.0.0.1', () => resolve('accepted')).on('error', (e: Error) => reject(e))),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it('gives a request that never answers the grace period, no more', async () => {
    const { port, control } = await serve(() => undefined);
    const hung = raw(port, 'GET /hang HTTP/1.1\r\nHost: h\r\n\r\n');
    await sleep(100);
    const t0 = Date.now();
    await control.drain(700, () => undefined);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
    expect(Date.now() - t0).toBeLessThan(1200);
    await hung.closed;
  });
});
