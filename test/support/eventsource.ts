import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One message as an EventSource dispatches it. */
export interface EsMessage {
  /** The `id:` of this message, if it had one (logged events do; `stream.mode` does not). */
  id?: string;
  event: string;
  data: string;
  /** Index of the connection attempt that delivered it. */
  attempt: number;
  at: number;
}

/** One connection attempt. */
export interface EsAttempt {
  at: number;
  lastEventId: string;
  status?: number;
  error?: string;
  received: number;
  end?: 'server-closed' | 'network-error' | 'client-closed' | 'failed';
}

export interface BrowserEventSourceOptions {
  headers?: Record<string, string>;
  /** The app closes the EventSource when this returns true (e.g. on the job's terminal status). */
  closeWhen?: (m: EsMessage) => boolean;
  /** Hard bound on the client's life; it is closed (outcome 'deadline') after this. */
  deadlineMs: number;
  /** Reconnection time before the server sends `retry:` (browsers use about 3 s). */
  initialRetryMs?: number;
  /** Bound on connection attempts (a browser has none; a test must). */
  maxAttempts?: number;
  /** A slow reader: do not read the body for this long after each connect (the first one only when `stallOnce`). */
  stallMs?: number;
  stallOnce?: boolean;
  /** A slow reader: wait this long after each chunk read. */
  readDelayMs?: number;
}

export type EsOutcome = 'open' | 'closed' | 'failed' | 'deadline';

/**
 * An EventSource as a browser implements it (WHATWG HTML §9.2), over fetch:
 * - sends `Accept: text/event-stream` and, once it has one, `Last-Event-ID`;
 * - a 200 `text/event-stream` response is read; `retry:` sets the reconnection time;
 * - when the stream ends or the network fails, it reconnects after the reconnection time;
 * - any other status (204, 429, 5xx…) or content type FAILS the connection: it never reconnects.
 *   That is why a 429 on a reconnect is a lost client, not a delay.
 * The app side closes it when `closeWhen` says so (a job's terminal status).
 */
export class BrowserEventSource {
  readonly messages: EsMessage[] = [];
  readonly attempts: EsAttempt[] = [];
  lastEventId = '';
  retryMs: number;
  outcome: EsOutcome = 'open';
  /** Why it failed, e.g. "HTTP 429 on connection 3". */
  failure?: string;
  /** When it stopped (closed by the app, failed or hit its deadline). */
  closedAt?: number;
  readonly done: Promise<void>;
  private closedByApp = false;
  private controller?: AbortController;
  private wake?: () => void;

  constructor(
    readonly url: string,
    private readonly opts: BrowserEventSourceOptions,
  ) {
    this.retryMs = opts.initialRetryMs ?? 3000;
    this.done = this.run();
  }

  /** Logged events received (those with an id), in arrival order. */
  get logged(): EsMessage[] {
    return this.messages.filter((m) => m.id !== undefined);
  }

  close(): void {
    if (this.closedByApp) return;
    this.closedByApp = true;
    this.controller?.abort();
    this.wake?.();
  }

  private async run(): Promise<void> {
    const deadline = Date.now() + this.opts.deadlineMs;
    const maxAttempts = this.opts.maxAttempts ?? 60;
    const deadlineTimer = setTimeout(() => {
      if (this.outcome === 'open' && !this.closedByApp) this.outcome = 'deadline';
      this.close();
    }, this.opts.deadlineMs);
    try {
      while (!this.closedByApp) {
        if (this.attempts.length >= maxAttempts) {
          this.outcome = 'failed';
          this.failure = `gave up after ${maxAttempts} connection attempts`;
          return;
        }
        const verdict = await this.connect(this.attempts.length);
        if (verdict === 'fail') {
          this.outcome = 'failed';
          return;
        }
        if (this.closedByApp) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(this.retryMs, Math.max(0, deadline - Date.now())));
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
      if (this.outcome === 'open') this.outcome = 'closed';
    } finally {
      clearTimeout(deadlineTimer);
      this.closedAt = Date.now();
    }
  }

  private async connect(index: number): Promise<'reconnect' | 'fail' | 'closed'> {
    const attempt: EsAttempt = { at: Date.now(), lastEventId: this.lastEventId, received: 0 };
    this.attempts.push(attempt);
    const controller = new AbortController();
    this.controller = controller;
    const headers: Record<string, string> = { Accept: 'text/event-stream', 'Cache-Control': 'no-cache', ...this.opts.headers };
    if (this.lastEventId !== '') headers['Last-Event-ID'] = this.lastEventId;
    let res: Response;
    try {
      res = await fetch(this.url, { headers, signal: controller.signal });
    } catch (err) {
      if (this.closedByApp) return ((attempt.end = 'client-closed'), 'closed');
      attempt.error = describe(err);
      attempt.end = 'network-error';
      return 'reconnect';
    }
    attempt.status = res.status;
    const type = res.headers.get('content-type') ?? '';
    if (res.status !== 200 || !type.toLowerCase().startsWith('text/event-stream') || !res.body) {
      const body = await res.text().catch(() => '');
      attempt.end = 'failed';
      attempt.error = body.slice(0, 200);
      this.failure = `HTTP ${res.status}${res.status === 200 ? ` (${type})` : ''} on connection ${index + 1}${body ? `: ${body.slice(0, 120)}` : ''}`;
      return 'fail';
    }
    const parser = createParser({
      onEvent: (m: EventSourceMessage) => {
        if (m.id !== undefined) this.lastEventId = m.id;
        const msg: EsMessage = { event: m.event ?? 'message', data: m.data, attempt: index, at: Date.now() };
        if (m.id !== undefined) msg.id = m.id;
        this.messages.push(msg);
        attempt.received++;
        if (this.opts.closeWhen?.(msg)) this.close();
      },
      onRetry: (ms: number) => {
        this.retryMs = ms;
      },
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      if (this.opts.stallMs && (!this.opts.stallOnce || index === 0)) await this.pause(this.opts.stallMs);
      for (;;) {
        if (this.closedByApp) return ((attempt.end = 'client-closed'), 'closed');
        const { value, done } = await reader.read();
        if (done) {
          attempt.end = 'server-closed';
          return 'reconnect';
        }
        parser.feed(decoder.decode(value, { stream: true }));
        if (this.opts.readDelayMs) await this.pause(this.opts.readDelayMs);
      }
    } catch (err) {
      if (this.closedByApp) return ((attempt.end = 'client-closed'), 'closed');
      attempt.error = describe(err);
      attempt.end = 'network-error';
      return 'reconnect';
    } finally {
      reader.cancel().catch(() => undefined);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      const prev = this.wake;
      this.wake = () => {
        clearTimeout(t);
        prev?.();
        resolve();
      };
    });
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ') || String(err);
}
