import type { CouncilRequestView, JobEvent } from '@platform/contracts';
import { SseFrame, type StreamFormat } from '../jobs/sse';
import { councilError } from './council-errors';

/** The request's view once its job ended (read when the stream reaches the end). */
export type ReadView = () => Promise<CouncilRequestView>;

const frame = (seq: number, event: string, payload: unknown): SseFrame => new SseFrame(`id: ${seq}\nevent: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);

/**
 * The council's stream (seed 004) over the job's log: `progress` for the run's phases (`tool.start`
 * `council.progress`: distributing, deliberating "Round n of m", synthesizing), `chunk` for each token
 * of the synthesized answer (`llm.chunk`), then `complete` with the outcome or `error` in the API's
 * envelope. Every frame's `id:` is its event's seq, so Last-Event-ID resumes exactly; the members'
 * answers and the rounds' agreement stay in the log (GET …?include=deliberation), not on this stream.
 */
export function councilStreamFormat(requestId: string, readView: ReadView): StreamFormat {
  return {
    liveMode: null,
    frame(e: JobEvent): SseFrame | null {
      if (e.type === 'tool.start' && e.data.name === 'council.progress') return frame(e.seq, 'progress', { status: e.data.status, message: e.data.message });
      if (e.type === 'llm.chunk' && typeof e.data.content === 'string') return frame(e.seq, 'chunk', { content: e.data.content });
      return null;
    },
    async ending(terminal: JobEvent): Promise<SseFrame> {
      const view = await readView();
      if (terminal.data.status === 'success') {
        return frame(terminal.seq, 'complete', {
          requestId,
          status: 'completed',
          consensusDecision: view.consensusDecision,
          confidence: view.confidence,
          agreementLevel: view.agreementLevel,
          cost: view.cost,
          latency: view.latency,
          completedAt: view.completedAt,
        });
      }
      const err = view.error ?? { code: 'INTERNAL_ERROR', message: 'the council run failed', retryable: true };
      const body = councilError(500, err.message, { code: err.code, requestId });
      return frame(terminal.seq, 'error', body);
    },
  };
}
