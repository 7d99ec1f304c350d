import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { CORRELATION_HEADER, RequestContextStore } from '@platform/runtime';

/** Opens the request's context (correlation id from pino-http's X-Request-ID) for everything downstream, NATS calls included. */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    let id = (req as Request & { id?: unknown }).id;
    if (typeof id !== 'string') {
      // Routes excluded from request logging (SSE streams) still get a correlation id and X-Request-ID.
      const given = req.headers[CORRELATION_HEADER];
      id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
      res.setHeader('X-Request-ID', id as string);
    }
    RequestContextStore.run({ correlationId: id as string }, next);
  }
}
