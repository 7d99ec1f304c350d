import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

export interface SseResult {
  status: number;
  headers: Headers;
  frames: SseFrame[];
  /** True when the server ended the stream (as opposed to us stopping early). */
  ended: boolean;
}

export interface ReadOptions {
  headers?: Record<string, string>;
  /** POST this JSON body instead of a GET (streams started by a command, e.g. /service_run_stream). */
  body?: unknown;
  /** Stop (abort) once this returns true for the frames so far. */
  until?: (frames: SseFrame[]) => boolean;
  /** Called for each frame as it arrives. */
  onFrame?: (frame: SseFrame, frames: SseFrame[]) => void;
  timeoutMs?: number;
}

/** A real SSE client over fetch, parsing with eventsource-parser (the parser `eventsource` itself uses). */
export async function readSse(url: string, opts: ReadOptions = {}): Promise<SseResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`SSE timeout: ${url}`)), opts.timeoutMs ?? 30_000);
  const frames: SseFrame[] = [];
  try {
    const headers: Record<string, string> = { Accept: 'text/event-stream', ...opts.headers };
    const post = opts.body === undefined ? {} : { method: 'POST', body: JSON.stringify(opts.body) };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(url, { ...post, headers, signal: controller.signal });
    if (res.status !== 200 || !res.body) {
      await res.text().catch(() => '');
      return { status: res.status, headers: res.headers, frames, ended: true };
    }
    let stop = false;
    const parser = createParser({
      onEvent: (m: EventSourceMessage) => {
        const frame: SseFrame = { data: m.data };
        if (m.id !== undefined) frame.id = m.id;
        if (m.event !== undefined) frame.event = m.event;
        frames.push(frame);
        opts.onFrame?.(frame, frames);
        if (opts.until?.(frames)) stop = true;
      },
    });
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { status: res.status, headers: res.headers, frames, ended: true };
      parser.feed(decoder.decode(value, { stream: true }));
      if (stop) {
        controller.abort();
        return { status: res.status, headers: res.headers, frames, ended: false };
      }
    }
  } catch (err) {
    if (controller.signal.aborted && (controller.signal.reason as Error)?.message?.startsWith('SSE timeout')) {
      throw new Error(`${(controller.signal.reason as Error).message} after ${frames.length} frames: ${JSON.stringify(frames.slice(-3))}`);
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export const logged = (frames: SseFrame[]): SseFrame[] => frames.filter((f) => f.id !== undefined);
export const ids = (frames: SseFrame[]): number[] => logged(frames).map((f) => Number(f.id));
export const isTerminalFrame = (f: SseFrame): boolean =>
  f.event === 'job.status' && ['success', 'failure', 'interrupted'].includes((JSON.parse(f.data) as { data: { status: string } }).data.status);
export const statusOf = (f: SseFrame): string | undefined =>
  f.event === 'job.status' ? (JSON.parse(f.data) as { data: { status: string } }).data.status : undefined;
