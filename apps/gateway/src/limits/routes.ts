import { SetMetadata } from '@nestjs/common';
import type { Request } from 'express';

/** Probes, docs and static console files: no credentials, no rate limit. */
export const PUBLIC_PATHS = ['/health', '/docs', '/openapi.json', '/debug'];

/** Every job stream URL (`…/stream` and `…/stream/:last_event_id`). */
export const JOB_STREAM_PATH = /^\/v1\/jobs\/async\/job\/([^/]+)\/stream(?:\/[^/]+)?\/?$/;

export const IS_STREAM = 'limits:stream';
/** Marks a route as a long-lived stream: it holds one of the caller's MAX_STREAMS_PER_CALLER slots while open. */
export const StreamRoute = () => SetMetadata(IS_STREAM, true);

export function isJobStreamRequest(req: Request): boolean {
  return req.method === 'GET' && JOB_STREAM_PATH.test(req.path);
}
