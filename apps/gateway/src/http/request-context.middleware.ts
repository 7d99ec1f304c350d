import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { RequestContextStore } from '@platform/runtime';

/** Opens the request's context (correlation id from pino-http's X-Request-ID) for everything downstream, NATS calls included. */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    const id = (req as Request & { id?: string }).id;
    RequestContextStore.run({ correlationId: typeof id === 'string' ? id : RequestContextStore.correlationId() }, next);
  }
}
