import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Response } from 'express';
import { eventFrame, LIVE_MODE_FRAME, parseEventId, SseFrame, SseOutput } from './sse';

describe('SSE frames', () => {
  it('frames a logged event with its seq as id and the stored JSON as data', () => {
    const frame = eventFrame({ seq: 7, type: 'llm.chunk', timestamp: '2026-01-01T00:00:00.000Z', data: { content: 'a\nb' } });
    expect(frame.text).toBe('id: 7\nevent: llm.chunk\ndata: {"type":"llm.chunk","timestamp":"2026-01-01T00:00:00.000Z","data":{"content":"a\\nb"}}\n\n');
  });

  it('never gives the live-mode frame an id', () => {
    expect(LIVE_MODE_FRAME.text).not.toMatch(/^id:/m);
    expect(LIVE_MODE_FRAME.text).toBe('event: stream.mode\ndata: {"mode":"live"}\n\n');
  });

  it('sizes a chunk in bytes, not characters', () => {
    const frame = new SseFrame('data: "é→😀"\n\n');
    const body = Buffer.from(frame.text, 'utf8');
    expect(frame.bytes(false)).toEqual(body);
    expect(frame.bytes(true).toString('latin1')).toBe(`${body.length.toString(16)}\r\n${body.toString('latin1')}\r\n`);
    expect(frame.bytes(true)).toBe(frame.bytes(true)); // encoded once
  });

  it.each([
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    [' 42 ', 42],
    ['-1', NaN],
    ['1e3', NaN],
    ['abc', NaN],
    ['9999999999999999', NaN],
  ])('parses resume point %p as %p', (raw, expected) => {
    expect(parseEventId(raw)).toBe(expected);
  });
});

/** SseOutput on a real node:http server: what a client decodes must be exactly the frames written. */
describe('SseOutput', () => {
  const frames = [new SseFrame('retry: 3000\n\n'), new SseFrame('id: 1\nevent: llm.chunk\ndata: {"content":"héllo 😀"}\n\n'), LIVE_MODE_FRAME];
  const expected = frames.map((f) => f.text).join('');
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.flushHeaders();
      const out = new SseOutput(res as unknown as Response);
      frames.forEach((f) => out.write(f));
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('writes a chunked body that an HTTP/1.1 client decodes, then reuses the connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ body: string; chunked: boolean; reused: boolean }>((resolve, reject) => {
        const req = http
          .get({ host: '127.0.0.1', port, agent }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ body, chunked: res.headers['transfer-encoding'] === 'chunked', reused: req.reusedSocket }));
          })
          .on('error', reject);
      });
    const first = await get();
    const second = await get();
    agent.destroy();
    expect(first).toMatchObject({ body: expected, chunked: true });
    expect(second.body).toBe(expected);
    expect(second.reused).toBe(true); // the body ended where the client expected: the connection was reused
  });

  it('writes the plain frames to an HTTP/1.0 client (no chunked coding)', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const sock = net.connect(port, '127.0.0.1', () => sock.write('GET / HTTP/1.0\r\n\r\n'));
      sock.on('data', (d: Buffer) => chunks.push(d));
      sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      sock.on('error', reject);
    });
    expect(raw.split('\r\n\r\n').slice(1).join('\r\n\r\n')).toBe(expected);
  });
});
