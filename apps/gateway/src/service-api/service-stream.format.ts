import type { JobEvent } from '@platform/contracts';
import { SseFrame, type StreamFormat } from '../jobs/sse';

/** The run's result once it succeeded (its report), read when the stream reaches the end. */
export type ReadResult = () => Promise<string | null>;

/** The original server's frames are `data:<json>` (no space); ours also carry the event's seq as `id:` so a client can resume. */
const frame = (seq: number, payload: unknown): SseFrame => new SseFrame(`id: ${seq}\ndata:${JSON.stringify(payload)}\n\n`);

/**
 * `service_run_stream` on the wire (agentUniverse web API): `{"process": …}` for each step the agent
 * takes — a token's text for model output, the event object otherwise — then `{"result": …}`, or
 * `{"error": {"error_msg": …}}` when the run failed or was cancelled. Status changes are not steps and
 * send nothing; there is no `stream.mode` frame (the original's clients read `data:` lines only).
 */
export function serviceRunFormat(readResult: ReadResult): StreamFormat {
  return {
    liveMode: null,
    frame(e: JobEvent): SseFrame | null {
      if (e.type === 'job.status' || e.type === 'job.error') return null;
      if (e.type === 'llm.chunk' && typeof e.data.content === 'string') return frame(e.seq, { process: e.data.content });
      const event: Record<string, unknown> = { type: e.type, timestamp: e.timestamp, data: e.data };
      if (e.metadata) event.metadata = e.metadata;
      return frame(e.seq, { process: event });
    },
    async ending(terminal: JobEvent): Promise<SseFrame> {
      if (terminal.data.status === 'success') return frame(terminal.seq, { result: await readResult() });
      const error = typeof terminal.data.error === 'string' ? terminal.data.error : String(terminal.data.status);
      return frame(terminal.seq, { error: { error_msg: error } });
    },
  };
}
