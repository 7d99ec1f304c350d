import type { Request, Response } from 'express';
import { councilError, councilStatus } from '../council/council-errors';
import { isCouncilApiPath } from '../council/council.routes';
import { openAiError } from '../openai/openai-shapes';
import { isOpenAiPath } from '../openai/openai.routes';
import { isServiceApiPath } from '../service-api/service-api.routes';
import { failed } from '../service-api/service-run';

/** A failure's `detail` as one sentence: a validation error list becomes its messages (each names its field). */
export function detailMessage(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (typeof d === 'object' && d !== null && 'msg' in d ? String((d as { msg: unknown }).msg) : String(d))).join('; ');
  }
  return JSON.stringify(detail);
}

/** What went wrong, beyond its status: the detail, and the platform's error code when one is known. */
export interface FailureInfo {
  detail: unknown;
  code?: string;
  /** The HTTP request's id (X-Request-ID). */
  requestId?: string | null;
}

interface ErrorShape {
  matches(path: string): boolean;
  /** The status this API answers for the platform's (default: the same). */
  status?(status: number): number;
  body(status: number, message: string, failure: FailureInfo): unknown;
}

/**
 * The APIs whose documents have an error body of their own, by path: the service API's envelope
 * `{success: false, result: null, message, request_id: null}` and OpenAI's `{error: {message, type,
 * param, code}}`, the AI council's `{error: {code, message, details, retryable}, requestId, timestamp}`
 * (with 400 for validation failures). Chosen by path rather than by handler because some failures (malformed JSON, a body
 * over the limit) happen before routing. Every other route answers `{"detail": …}`.
 */
const SHAPES: ErrorShape[] = [
  { matches: isServiceApiPath, body: (_status, message) => failed(message) },
  { matches: isOpenAiPath, body: (status, message) => openAiError(status, message) },
  {
    matches: isCouncilApiPath,
    status: councilStatus,
    body: (status, message, f) => councilError(status, message, { code: f.code, detail: f.detail, requestId: f.requestId }),
  },
];

/** The error body for this request, in its API's shape. */
export function errorBody(req: Request, status: number, detail: unknown, failure: Omit<FailureInfo, 'detail'> = {}): unknown {
  const shape = SHAPES.find((s) => s.matches(req.path));
  return shape ? shape.body(status, detailMessage(detail), { ...failure, detail }) : { detail };
}

/** The status and body of an error reply to this request, in its API's shape. */
export function errorReply(req: Request, res: Response, status: number, detail: unknown, code?: string): { status: number; body: unknown } {
  const shape = SHAPES.find((s) => s.matches(req.path));
  const answered = shape?.status ? shape.status(status) : status;
  const id = res.getHeader('X-Request-ID');
  return { status: answered, body: errorBody(req, answered, detail, { code, requestId: typeof id === 'string' ? id : null }) };
}
