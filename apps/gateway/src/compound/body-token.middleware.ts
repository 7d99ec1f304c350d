import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/**
 * `POST /task/compound` may carry its credential as the body's `token` (the seed's alternative to the
 * header). It becomes the request's `Authorization: Bearer` header before the auth guard runs, so it is
 * checked by exactly the same validators; a request that sends the header too is judged by its header.
 * Query-string tokens stay refused by the guard.
 */
@Injectable()
export class BodyTokenMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    const token = (req.body as { token?: unknown } | undefined)?.token;
    if (req.headers.authorization === undefined && typeof token === 'string' && token !== '') req.headers.authorization = `Bearer ${token}`;
    next();
  }
}
