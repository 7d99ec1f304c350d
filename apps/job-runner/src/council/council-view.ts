import {
  COUNCIL_RETRYABLE,
  CouncilErrorCode,
  ErrorCode,
  type CouncilErrorInfo,
  type CouncilRequestView,
  type CouncilStatus,
  type JobStatus,
} from '@platform/contracts';
import type { CouncilRow } from './council.repository';

export const councilStatus = (s: JobStatus): CouncilStatus =>
  s === 'success' ? 'completed' : s === 'failure' || s === 'interrupted' ? 'failed' : 'processing';

/** A failed job's error in the council's terms: the code the run ended with (`CODE: message`), else INTERNAL_ERROR; a cancel is CANCELLED. */
export function errorOf(status: JobStatus, error: string | null): CouncilErrorInfo {
  if (status === 'interrupted') return { code: CouncilErrorCode.CANCELLED, message: error ?? 'Cancelled by request', retryable: false };
  const m = /^([A-Z][A-Z_]+): ([\s\S]*)$/.exec(error ?? '');
  if (m && m[1] in COUNCIL_RETRYABLE) return { code: m[1], message: m[2], retryable: COUNCIL_RETRYABLE[m[1]] };
  return { code: ErrorCode.INTERNAL_ERROR, message: error ?? 'the council run failed', retryable: true };
}

/** The document's view of a request (`GET /api/v1/requests/:id`), with the deliberation when asked for. */
export function toView(row: CouncilRow, includeDeliberation = false): CouncilRequestView {
  const status = councilStatus(row.status);
  const view: CouncilRequestView = {
    requestId: row.id,
    status,
    query: row.query,
    sessionId: row.session_id,
    createdAt: new Date(row.created_at).toISOString(),
  };
  const o = row.outcome;
  if (status === 'completed' && o) {
    view.consensusDecision = o.consensusDecision;
    view.confidence = o.confidence;
    view.agreementLevel = o.agreementLevel;
  }
  if (status === 'failed') view.error = row.status === 'failure' && o?.error ? o.error : errorOf(row.status, row.error);
  if (status !== 'processing' && o) {
    view.cost = o.cost;
    view.latency = o.latency;
    view.completedAt = o.completedAt;
  }
  if (includeDeliberation && status !== 'processing' && o?.deliberation) view.deliberation = o.deliberation;
  return view;
}
