import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { Request, Response } from 'express';
import type { EventsPage, JobEvent, JobStatus } from '@platform/contracts';
import type { Bus } from '@platform/runtime';
import type { GatewayConfig } from '../config';
import { JobStream } from './job-stream';
import { LiveEventsUnavailable, type LiveEvents, type LiveListener } from './live-events';
import { SseFrame, type StreamFormat } from './sse';

/** The handoff logic against a scripted log and live feed (the real transports are covered by e2e). */
class Harness {
  log: JobEvent[] = [];
  status: JobStatus = 'running';
  listener?: LiveListener;
  unsubscribed = false;
  /** Runs once, while the first page is being read (to inject a race). */
  duringFirstRead?: () => void;
  pagesRead = 0;
  readonly req = new EventEmitter() as unknown as Request;
  readonly out: string[] = [];
  statusCode = 0;
  headers: Record<string, string> = {};
  /** listen() rejects with this (NATS down). */
  listenError?: Error;
  ended = false;
  destroyed = false;
  writable = 0;
  stream: JobStream;
  reconnected?: () => void;

  constructor(maxBuffer = 1 << 20) {
    const bus = {
      request: async (_subject: string, q: { after: number; limit?: number }): Promise<EventsPage> => {
        const events = this.log.filter((e) => e.seq > q.after).slice(0, q.limit ?? 2000);
        const page = { job_id: 'j', status: this.status, events, last_seq: this.log.length };
        if (this.pagesRead++ === 0) this.duringFirstRead?.(); // after the snapshot, before the reply
        return page;
      },
      onReconnect: (l: () => void) => {
        this.reconnected = l;
        return () => (this.reconnected = undefined);
      },
    } as unknown as Bus;
    const live = {
      listen: async (_id: string, l: LiveListener) => {
        if (this.listenError) throw this.listenError;
        this.listener = l;
        return () => (this.unsubscribed = true);
      },
    } as unknown as LiveEvents;
    const config = { SSE_KEEPALIVE_MS: 60_000, SSE_RETRY_MS: 3000, SSE_MAX_BUFFER_BYTES: maxBuffer } as GatewayConfig;
    this.stream = new JobStream(bus, live, config);
  }

  readonly res = Object.assign(new EventEmitter(), {
    status: (code: number) => {
      this.statusCode = code;
      return this.res;
    },
    writeHead: (code: number, headers: Record<string, string>) => {
      this.statusCode = code;
      this.headers = headers;
    },
    flushHeaders: () => undefined,
    write: (chunk: string) => {
      this.out.push(chunk);
      this.writable += chunk.length;
      return true;
    },
    end: () => (this.ended = true),
    destroy: () => (this.destroyed = true),
    get writableLength() {
      return 0;
    },
    writableNeedDrain: false,
  });

  append(type: JobEvent['type'], data: Record<string, unknown>): JobEvent {
    const e: JobEvent = { seq: this.log.length + 1, type, timestamp: 't', data };
    this.log.push(e);
    return e;
  }

  serve(after = 0, format?: StreamFormat) {
    return this.stream.serve('j', after, this.req, this.res as unknown as Response, format);
  }

  /** Ids and generated frames, in the order written. */
  get frames(): string[] {
    return this.out
      .join('')
      .split('\n\n')
      .filter((f) => f && !f.startsWith('retry:'))
      .map((f) => (f.startsWith('id: ') ? f.split('\n')[0].slice(4) : f.startsWith('event: stream.mode') ? 'LIVE' : f));
  }
}

describe('JobStream', () => {
  it('replays a finished job and ends without a live marker', async () => {
    const h = new Harness();
    h.append('job.status', { status: 'submitted' });
    h.append('llm.chunk', { content: 'a' });
    h.append('job.status', { status: 'success' });
    h.status = 'success';
    await h.serve();
    expect(h.frames).toEqual(['1', '2', '3']);
    expect(h.ended).toBe(true);
  });

  it('answers 204 when a finished job has nothing after the resume point', async () => {
    const h = new Harness();
    h.append('job.status', { status: 'success' });
    h.status = 'success';
    await h.serve(1);
    expect(h.statusCode).toBe(204);
    expect(h.out).toEqual([]);
    expect(h.unsubscribed).toBe(true);
  });

  it('hands off once, drops duplicates, refills gaps from the log and ends on the terminal status', async () => {
    const h = new Harness();
    h.append('job.status', { status: 'submitted' });
    h.append('job.status', { status: 'running' });
    await h.serve();
    expect(h.frames).toEqual(['1', '2', 'LIVE']);
    const e3 = h.append('llm.chunk', { content: 'x' });
    const e4 = h.append('llm.chunk', { content: 'y' });
    const e5 = h.append('llm.chunk', { content: 'z' });
    h.listener!.deliver(e3);
    h.listener!.deliver(e3); // duplicate
    h.listener!.deliver(e5); // e4's live copy is late: read from the log
    await new Promise((r) => setImmediate(r));
    h.listener!.deliver(e4); // arrives after all: already sent
    const end = h.append('job.status', { status: 'success' });
    h.status = 'success';
    h.listener!.deliver(end);
    await new Promise((r) => setImmediate(r));
    expect(h.frames).toEqual(['1', '2', 'LIVE', '3', '4', '5', '6']);
    expect(h.ended).toBe(true);
  });

  it('re-reads the log of every live stream when NATS comes back (events published during the outage were lost)', async () => {
    const h = new Harness();
    h.stream.onModuleInit();
    h.append('job.status', { status: 'running' });
    await h.serve();
    h.append('llm.chunk', { content: 'published while NATS was down' });
    h.append('llm.chunk', { content: 'also lost' });
    h.reconnected!();
    await new Promise((r) => setImmediate(r));
    expect(h.frames).toEqual(['1', 'LIVE', '2', '3']);
    h.stream.beforeApplicationShutdown();
    expect(h.reconnected).toBeUndefined();
  });

  it('keeps live events that arrive while the first page is read', async () => {
    const h = new Harness();
    h.append('job.status', { status: 'submitted' });
    // Committed after the page's snapshot and published before the session exists.
    h.duringFirstRead = () => h.listener!.deliver(h.append('job.status', { status: 'running' }));
    await h.serve();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(h.frames).toEqual(['1', 'LIVE', '2']);
  });

  it('leaves the Connection header to Node, so a client that asked for close gets close', async () => {
    const h = new Harness();
    h.append('job.status', { status: 'running' });
    await h.serve();
    expect(h.statusCode).toBe(200);
    expect(h.headers['Content-Type']).toMatch(/^text\/event-stream/);
    expect(Object.keys(h.headers).map((k) => k.toLowerCase())).not.toContain('connection');
  });

  it('answers 503 at once while live events are unavailable (NATS down), holding nothing open', async () => {
    const h = new Harness();
    h.append('job.status', { status: 'running' });
    h.listenError = new LiveEventsUnavailable('NATS is unreachable');
    await expect(h.serve()).rejects.toMatchObject({ status: 503 });
    expect(h.stream.openStreams).toBe(0);
  });

  it('on a stop, ends every open stream, and ends a stream opened afterwards right after its retry frame', async () => {
    const open = new Harness();
    open.append('job.status', { status: 'running' });
    await open.serve();
    expect(open.stream.openStreams).toBe(1);
    open.stream.endAll();
    expect(open.ended).toBe(true);
    expect(open.destroyed).toBe(false); // nothing unread: a clean end, the client reconnects after retry:
    expect(open.stream.openStreams).toBe(0);

    const late = new Harness();
    late.append('job.status', { status: 'running' });
    late.stream.endAll();
    await late.serve();
    expect(late.statusCode).toBe(200);
    expect(late.out.join('')).toBe('retry: 3000\n\n');
    expect(late.ended).toBe(true);
    expect(late.unsubscribed).toBe(true);
    expect(late.stream.openStreams).toBe(0);
  });

  it('disconnects a client that stops reading once its buffer passes the bound', async () => {
    const h = new Harness(16 * 1024);
    let buffered = 0;
    Object.defineProperty(h.res, 'writableLength', { get: () => buffered });
    h.append('job.status', { status: 'running' });
    await h.serve();
    buffered = 10 * 1024;
    h.listener!.deliver(h.append('llm.chunk', { content: 'fits' }));
    expect(h.destroyed).toBe(false);
    buffered = 32 * 1024;
    h.listener!.deliver(h.append('llm.chunk', { content: 'too much' }));
    expect(h.destroyed).toBe(true);
  });

  it('writes another API’s frames through a format: skipped events, no live marker, a closing frame after the end', async () => {
    const h = new Harness();
    let resolveEnding!: (text: string) => void;
    const format: StreamFormat = {
      liveMode: null,
      frame: (e) => (e.type === 'llm.chunk' ? new SseFrame(`id: ${e.seq}\ndata:${String(e.data.content)}\n\n`) : null),
      ending(this: StreamFormat, terminal) {
        expect(this).toBe(format); // called as a method: a format may be a class instance
        return new Promise<SseFrame>((resolve) => (resolveEnding = (text) => resolve(new SseFrame(`id: ${terminal.seq}\ndata:${text}\n\n`))));
      },
    };
    h.append('job.status', { status: 'running' });
    h.append('llm.chunk', { content: 'a' });
    await h.serve(0, format);
    expect(h.frames).toEqual(['2']); // the status sent nothing, and no stream.mode
    h.listener!.deliver(h.append('workflow.end', { name: 'x' }));
    h.listener!.deliver(h.append('llm.chunk', { content: 'b' }));
    h.listener!.deliver(h.append('job.status', { status: 'success' }));
    expect(h.frames).toEqual(['2', '4']);
    expect(h.ended).toBe(false); // waits for the closing frame
    h.listener!.deliver(h.append('job.status', { status: 'success' })); // a stray duplicate end changes nothing
    resolveEnding('done');
    await new Promise((r) => setImmediate(r));
    expect(h.frames).toEqual(['2', '4', '5']);
    expect(h.out.join('')).toContain('id: 5\ndata:done');
    expect(h.ended).toBe(true);
  });
});
