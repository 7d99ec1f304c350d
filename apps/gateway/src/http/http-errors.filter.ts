import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RemoteError } from '@platform/runtime';
import { errorReply } from './error-shapes';
import { UnacceptableJsonBody } from './json-body';

interface Failure {
  status: number;
  detail: unknown;
  /** The platform's error code, when the failure names one (a remote error's, an exception body's `code`). */
  code?: string;
}

/**
 * Turns every failure into `{"detail": …}` (the FastAPI shape of the AI-Q async job API and the agent
 * coordinator API), or the error body of the API the path belongs to (`error-shapes.ts`), with the
 * right status. Remote errors keep the status the owning service chose; anything unexpected is a 500
 * with no internals in the body.
 */
@Catch()
export class HttpErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    if (res.headersSent) {
      res.end();
      return;
    }
    const failure = this.describe(exception, req);
    if (failure.status === HttpStatus.TOO_MANY_REQUESTS && !res.getHeader('Retry-After')) res.setHeader('Retry-After', '10');
    // A dependency is down: nothing was done, and recovery is automatic within seconds.
    if (failure.status === HttpStatus.SERVICE_UNAVAILABLE && !res.getHeader('Retry-After')) res.setHeader('Retry-After', '2');
    const reply = errorReply(req, res, failure.status, failure.detail, failure.code);
    res.status(reply.status).json(reply.body);
  }

  private describe(exception: unknown, req: Request): Failure {
    // The JSON checks' refusal reaches here as itself (verify) or as the cause of the 400 Nest makes of a body-parser error (reviver).
    const cause = exception instanceof UnacceptableJsonBody ? exception : (exception as { cause?: unknown })?.cause;
    if (cause instanceof UnacceptableJsonBody) return { status: HttpStatus.UNPROCESSABLE_ENTITY, detail: cause.message };
    if (exception instanceof RemoteError) return { status: exception.status, detail: exception.message, code: exception.code };
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const detail = typeof body === 'object' && body !== null && 'detail' in body ? (body as { detail: unknown }).detail : exception.message;
      if (exception.getStatus() === HttpStatus.PAYLOAD_TOO_LARGE && detail === exception.message) return { status: 413, detail: 'Request body too large' };
      const code = typeof body === 'object' && body !== null && 'code' in body && typeof body.code === 'string' ? body.code : undefined;
      return { status: exception.getStatus(), detail, code };
    }
    // body-parser errors carry their own status (malformed JSON 400, too large 413).
    const e = exception as { status?: number; type?: string; message?: string };
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      const detail = e.type === 'entity.too.large' ? 'Request body too large' : e.type === 'entity.parse.failed' ? 'Malformed JSON body' : e.message;
      return { status: e.status, detail };
    }
    this.logger.error(`${req.method} ${req.path}: ${exception instanceof Error ? exception.stack : String(exception)}`);
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, detail: 'Internal server error' };
  }
}
