import type { JobEvent } from '@platform/contracts';

// A live event object is shared by every stream of its job on this gateway: frame it once, not once per client.
const frames = new WeakMap<JobEvent, string>();

/** One logged event as an SSE frame; the id is its sequence number. */
export function eventFrame(e: JobEvent): string {
  let frame = frames.get(e);
  if (frame === undefined) {
    const payload: Record<string, unknown> = { type: e.type, timestamp: e.timestamp, data: e.data };
    if (e.metadata) payload.metadata = e.metadata;
    frame = `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(payload)}\n\n`;
    frames.set(e, frame);
  }
  return frame;
}

/** Generated frames carry no id: they are not in the log and must not move the client's resume point. */
export const LIVE_MODE_FRAME = 'event: stream.mode\ndata: {"mode":"live"}\n\n';
export const KEEPALIVE_FRAME = ': keep-alive\n\n';
export const retryFrame = (ms: number): string => `retry: ${ms}\n\n`;

/** Parses a resume point (path segment or Last-Event-ID); undefined when absent, NaN when malformed. */
export function parseEventId(raw: string | string[] | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const s = (Array.isArray(raw) ? raw[0] : raw).trim();
  if (s === '') return undefined;
  return /^\d{1,15}$/.test(s) ? Number(s) : NaN;
}
