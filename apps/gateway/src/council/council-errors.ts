import { HttpException } from '@nestjs/common';
import { COUNCIL_RETRYABLE, ErrorCode } from '@platform/contracts';

/** The document's code for an HTTP status, when the failure carries none of its own. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
    case 422:
      return ErrorCode.INVALID_REQUEST;
    case 401:
      return ErrorCode.UNAUTHORIZED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 404:
      return ErrorCode.NOT_FOUND;
    case 408:
    case 504:
      return ErrorCode.TIMEOUT;
    case 409:
      return ErrorCode.CONFLICT;
    case 413:
      return ErrorCode.PAYLOAD_TOO_LARGE;
    case 415:
      return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
    case 429:
      return ErrorCode.RATE_LIMIT_EXCEEDED;
    case 503:
      return ErrorCode.SERVICE_UNAVAILABLE;
    default:
      return status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.INVALID_REQUEST;
  }
}

/** The document's statuses: a validation failure is 400 (the platform's other APIs answer 422). */
export const councilStatus = (status: number): number => (status === 422 ? 400 : status);

export interface CouncilErrorBody {
  error: { code: string; message: string; details: unknown; retryable: boolean };
  requestId: string | null;
  timestamp: string;
}

/**
 * `{"error": {code, message, details, retryable}, requestId, timestamp}` (seed 004). `requestId` is the
 * HTTP request's id (X-Request-ID), as the document's error example has it; a validation list goes to
 * `details.fields`.
 */
export function councilError(status: number, message: string, opts: { code?: string; detail?: unknown; requestId?: string | null } = {}): CouncilErrorBody {
  const code = opts.code && opts.code in COUNCIL_RETRYABLE ? opts.code : codeForStatus(status);
  const details = Array.isArray(opts.detail) ? { fields: opts.detail } : {};
  return {
    error: { code, message, details, retryable: COUNCIL_RETRYABLE[code] ?? status >= 500 },
    requestId: opts.requestId ?? null,
    timestamp: new Date().toISOString(),
  };
}

/** A 404 for a request id that is not the caller's (or not a council request). */
export const requestNotFound = (id: string): HttpException =>
  new HttpException({ detail: `Request '${id.slice(0, 100)}' not found`, code: ErrorCode.NOT_FOUND }, 404);
