import type { Socket } from 'node:net';
import type { Response } from 'express';
import type { JobEvent } from '@platform/contracts';

/**
 * One SSE frame, encoded to bytes at most once per body framing. A live event is shared by every
 * stream of its job on this gateway, so its frame is built and encoded once, not once per client.
 */
export class SseFrame {
  private raw?: Buffer;
  private chunk?: Buffer;

  constructor(readonly text: string) {}

  /** The bytes to put on the wire: with chunked transfer coding, the frame is its own chunk. */
  bytes(chunked: boolean): Buffer {
    if (!chunked) return (this.raw ??= Buffer.from(this.text, 'utf8'));
    if (!this.chunk) {
      const body = (this.raw ??= Buffer.from(this.text, 'utf8'));
      this.chunk = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`, 'latin1'), body, CRLF]);
    }
    return this.chunk;
  }
}

const CRLF = Buffer.from('\r\n', 'latin1');
const frames = new WeakMap<JobEvent, SseFrame>();

/** One logged event as an SSE frame; the id is its sequence number. */
export function eventFrame(e: JobEvent): SseFrame {
  let frame = frames.get(e);
  if (frame === undefined) {
    const payload: Record<string, unknown> = { type: e.type, timestamp: e.timestamp, data: e.data };
    if (e.metadata) payload.metadata = e.metadata;
    frame = new SseFrame(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(payload)}\n\n`);
    frames.set(e, frame);
  }
  return frame;
}

/** Generated frames carry no id: they are not in the log and must not move the client's resume point. */
export const LIVE_MODE_FRAME = new SseFrame('event: stream.mode\ndata: {"mode":"live"}\n\n');
export const KEEPALIVE_FRAME = new SseFrame(': keep-alive\n\n');
export const retryFrame = (ms: number): SseFrame => new SseFrame(`retry: ${ms}\n\n`);

/**
 * How a stream shows a job's log on the wire. JobStream does the rest (replay, live handoff, order,
 * gaps, backpressure, keep-alive) the same way for every format, so another API's stream of the same
 * job is only another format.
 */
export interface StreamFormat {
  /** The frame of one logged event, or null to send nothing for it (its seq still counts as sent). */
  frame(e: JobEvent): SseFrame | null;
  /**
   * Written after the terminal `job.status` has been handled by `frame`, before the stream ends — for
   * a closing frame that needs more than the event (the run's result). Runs as the stream's caller.
   */
  ending?(terminal: JobEvent): Promise<SseFrame | null>;
  /** Sent once when a replayed stream turns live; null: nothing. */
  liveMode: SseFrame | null;
}

/** The Async Job API's stream: every logged event as `id`/`event`/`data`, and the `stream.mode` handoff. */
export const JOB_EVENTS_FORMAT: StreamFormat = { frame: eventFrame, liveMode: LIVE_MODE_FRAME };

/**
 * The body of an event-stream response, once its headers are sent. Frames go straight to the socket:
 * `res.write` corks the socket and uncorks it on the next tick for every write, and at 1 000 streams
 * × 40 events/s that bookkeeping was ~40 % of the gateway's CPU (profiled). The headers and the end of
 * the response still go through `res`, which writes the last chunk when the body is chunked.
 * A response that does not hold its socket yet (a pipelined request) falls back to `res.write`.
 * Only for responses with a body: JobStream answers HEAD before creating one.
 */
export class SseOutput {
  private readonly socket: Socket | null;
  private readonly chunked: boolean;

  constructor(private readonly res: Response) {
    this.socket = res.socket ?? null;
    this.chunked = res.chunkedEncoding;
  }

  write(frame: SseFrame): void {
    if (this.socket) this.socket.write(frame.bytes(this.chunked));
    else this.res.write(frame.text);
  }

  /** Bytes accepted but not yet taken by the client. */
  get buffered(): number {
    return this.socket ? this.socket.writableLength : this.res.writableLength;
  }

  /** Resolves when the client has caught up enough to write more, or the stream closed. */
  async drained(): Promise<void> {
    const target = this.socket ?? this.res;
    if (!target.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      // Both listeners go whichever fires: a keep-alive socket outlives this response.
      const done = () => {
        target.off('drain', done).off('close', done);
        resolve();
      };
      target.once('drain', done).once('close', done);
    });
  }
}

/** Parses a resume point (path segment or Last-Event-ID); undefined when absent, NaN when malformed. */
export function parseEventId(raw: string | string[] | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const s = (Array.isArray(raw) ? raw[0] : raw).trim();
  if (s === '') return undefined;
  return /^\d{1,15}$/.test(s) ? Number(s) : NaN;
}
