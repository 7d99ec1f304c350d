import { streamUrl } from './api';
import type { Frame } from './state';

export type ConnState = 'connecting' | 'replaying' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface ConnInfo {
  state: ConnState;
  lastId: number;
  reconnects: number;
  /** Why the stream stopped or is retrying. */
  note: string;
}

export interface StreamOptions {
  /** The stream's path from the start, and (when the API has one) from an event id. */
  path: string;
  pathAfter?: (lastId: number) => string;
  /** Where a stream ticket is asked for (with auth on): POST, answering `{ticket}`. */
  ticketPath: string;
  /** Event names to listen to (EventSource only delivers named events one listens for). */
  events: string[];
  onFrame: (f: Frame) => void;
  onInfo: (i: ConnInfo) => void;
  /** Whether this frame ends the stream (the terminal status). */
  isEnd: (f: Frame) => boolean;
  /** Asked when the stream failed for good: resolves false when there is nothing to reconnect to (404, 401). */
  stillThere?: () => Promise<boolean>;
}

/**
 * An EventSource that resumes where it stopped. While the server is unreachable the browser retries by
 * itself and resumes with `Last-Event-ID`; when the EventSource gives up (an HTTP error, an expired
 * ticket) it is opened again from the last id (a fresh ticket, the path form where the API has one).
 * Frames whose id is not above the last one seen are dropped here too, so an overlapping resume never
 * shows a line twice.
 */
export class ResumingStream {
  private es: EventSource | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private info: ConnInfo = { state: 'connecting', lastId: 0, reconnects: 0, note: '' };
  private failures = 0;

  constructor(private readonly o: StreamOptions) {}

  start(lastId = 0): void {
    this.info.lastId = lastId;
    void this.open();
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.es?.close();
    this.es = null;
  }

  private set(patch: Partial<ConnInfo>): void {
    this.info = { ...this.info, ...patch };
    this.o.onInfo(this.info);
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const path = this.info.lastId > 0 && this.o.pathAfter ? this.o.pathAfter(this.info.lastId) : this.o.path;
    let url: string;
    try {
      url = await streamUrl(path, this.o.ticketPath);
    } catch (err) {
      return this.retry(`stream ticket: ${(err as Error).message}`);
    }
    if (this.stopped) return;
    const es = new EventSource(url);
    this.es = es;
    this.set({ state: this.info.reconnects > 0 ? 'reconnecting' : 'connecting' });
    es.onopen = () => {
      this.failures = 0;
      this.set({ state: 'replaying', note: '' });
    };
    es.onerror = () => {
      if (this.stopped || this.es !== es) return;
      if (es.readyState === EventSource.CONNECTING) {
        // The browser reconnects by itself and sends Last-Event-ID.
        this.set({ state: 'reconnecting', reconnects: this.info.reconnects + 1, note: 'connection lost; the browser is reconnecting' });
        return;
      }
      es.close();
      void this.afterFailure();
    };
    es.addEventListener('stream.mode', (e) => {
      if (this.es !== es) return;
      const mode = safeMode((e as MessageEvent<string>).data);
      if (mode === 'live') this.set({ state: 'live' });
    });
    for (const name of this.o.events) {
      es.addEventListener(name, (e) => {
        if (this.es !== es) return;
        const m = e as MessageEvent<string>;
        const id = m.lastEventId ? Number(m.lastEventId) : null;
        if (id !== null && Number.isFinite(id)) {
          if (id <= this.info.lastId) return; // already shown
          this.info.lastId = id;
        }
        const frame: Frame = { id: id !== null && Number.isFinite(id) ? id : null, event: name, data: m.data };
        this.o.onFrame(frame);
        if (this.o.isEnd(frame)) {
          this.close();
          this.set({ state: 'ended', note: 'the stream ended after the final status' });
        } else this.set({});
      });
    }
  }

  private async afterFailure(): Promise<void> {
    if (this.o.stillThere) {
      const there = await this.o.stillThere().catch(() => true);
      if (!there) {
        this.close();
        this.set({ state: 'failed', note: 'the stream is not available (not found or not allowed)' });
        return;
      }
    }
    this.retry('the stream closed; opening it again from the last event id');
  }

  private retry(note: string): void {
    if (this.stopped) return;
    this.failures += 1;
    const delay = Math.min(5000, 500 * 2 ** Math.min(this.failures - 1, 4));
    this.set({ state: 'reconnecting', reconnects: this.info.reconnects + 1, note });
    this.timer = setTimeout(() => void this.open(), delay);
  }
}

function safeMode(data: string): string {
  try {
    return String((JSON.parse(data) as { mode?: unknown }).mode ?? '');
  } catch {
    return '';
  }
}
