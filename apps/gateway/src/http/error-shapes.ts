import type { Request } from 'express';
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

interface ErrorShape {
  matches(path: string): boolean;
  body(status: number, message: string): unknown;
}

/**
 * The APIs whose documents have an error body of their own, by path: the service API's envelope
 * `{success: false, result: null, message, request_id: null}` and OpenAI's `{error: {message, type,
 * param, code}}`. Chosen by path rather than by handler because some failures (malformed JSON, a body
 * over the limit) happen before routing. Every other route answers `{"detail": …}`.
 */
const SHAPES: ErrorShape[] = [
  { matches: isServiceApiPath, body: (_status, message) => failed(message) },
  { matches: isOpenAiPath, body: (status, message) => openAiError(status, message) },
];

/** The error body for this request, in its API's shape. */
export function errorBody(req: Request, status: number, detail: unknown): unknown {
  const shape = SHAPES.find((s) => s.matches(req.path));
  return shape ? shape.body(status, detailMessage(detail)) : { detail };
}
