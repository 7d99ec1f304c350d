import { type ArgumentsHost, Catch, type ExceptionFilter, type ExecutionContext, HttpException, HttpStatus, Logger, SetMetadata } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode } from '@platform/contracts';
import { RemoteError } from '@platform/runtime';
import { JobNotFound } from '../jobs/jobs.http.controller';
import { NulInJsonBody } from './json-body';

/** Opts a controller (or one route) into seed 004's error envelope instead of `{"detail": …}`. */
export const ERROR_ENVELOPE = 'http:error-envelope';
export const ErrorEnvelope = () => SetMetadata(ERROR_ENVELOPE, true);
/**
 * Path prefixes of envelope surfaces, for errors raised before a controller is chosen (unknown route,
 * body too large, malformed JSON). A surface that uses `@ErrorEnvelope()` adds its prefix here.
 */
export const ENVELOPE_PATH_PREFIXES: string[] = ['/api/'];

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.INVALID_REQUEST,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  422: ErrorCode.INVALID_REQUEST,
  429: ErrorCode.RATE_LIMIT_EXCEEDED,
  503: ErrorCode.SERVICE_UNAVAILABLE,
  504: ErrorCode.TIMEOUT,
};
const RETRYABLE = new Set<ErrorCode>([ErrorCode.RATE_LIMIT_EXCEEDED, ErrorCode.TIMEOUT, ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.INTERNAL_ERROR]);

interface Failure {
  status: number;
  detail: unknown;
  code?: ErrorCode;
}

/**
 * Turns every failure into the shape of the surface that was called, with the right status:
 * `{"detail": …}` (the FastAPI shape seeds 000/001 document) by default, or seed 004's
 * `{"error":{code,message,details,retryable},"requestId","timestamp"}` for routes marked
 * `@ErrorEnvelope()` (or under ENVELOPE_PATH_PREFIXES). Remote errors keep the status the owning
 * service chose; anything unexpected is a 500 with no internals in the body.
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
    if (!this.wantsEnvelope(host, req)) {
      res.status(failure.status).json({ detail: failure.detail });
      return;
    }
    const code = failure.code ?? CODE_BY_STATUS[failure.status] ?? (failure.status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.INVALID_REQUEST);
    const fieldErrors = Array.isArray(failure.detail);
    const requestId = (req as Request & { id?: unknown }).id ?? res.getHeader('X-Request-ID');
    res.status(failure.status).json({
      error: {
        code,
        message: fieldErrors ? 'Request validation failed' : String(failure.detail),
        details: fieldErrors ? { errors: failure.detail } : {},
        retryable: RETRYABLE.has(code),
      },
      requestId: requestId === undefined ? null : String(requestId),
      timestamp: new Date().toISOString(),
    });
  }

  private wantsEnvelope(host: ArgumentsHost, req: Request): boolean {
    const ctx = host as Partial<ExecutionContext>;
    const targets = [ctx.getHandler?.(), ctx.getClass?.()].filter((t): t is NonNullable<typeof t> => !!t);
    if (targets.some((t) => Reflect.getMetadata(ERROR_ENVELOPE, t) === true)) return true;
    return ENVELOPE_PATH_PREFIXES.some((p) => req.path.startsWith(p));
  }

  private describe(exception: unknown, req: Request): Failure {
    // The JSON reviver's refusal reaches here as the cause of the 400 Nest makes of a body-parser error.
    const cause = (exception as { cause?: unknown })?.cause;
    if (cause instanceof NulInJsonBody) return { status: HttpStatus.UNPROCESSABLE_ENTITY, detail: cause.message };
    if (exception instanceof RemoteError) return { status: exception.status, detail: exception.message, code: exception.code };
    if (exception instanceof JobNotFound) return { status: HttpStatus.NOT_FOUND, detail: `Job '${exception.message}' not found` };
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const detail = typeof body === 'object' && body !== null && 'detail' in body ? (body as { detail: unknown }).detail : exception.message;
      if (exception.getStatus() === HttpStatus.PAYLOAD_TOO_LARGE && detail === exception.message) return { status: 413, detail: 'Request body too large' };
      return { status: exception.getStatus(), detail };
    }
    // body-parser errors carry their own status (malformed JSON 400, too large 413).
    const e = exception as { status?: number; type?: string; message?: string };
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      const detail = e.type === 'entity.too.large' ? 'Request body too large' : e.type === 'entity.parse.failed' ? 'Malformed JSON body' : e.message;
      return { status: e.status, detail };
    }
    this.logger.error(`${req.method} ${req.path}: ${exception instanceof Error ? exception.stack : String(exception)}`);
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, detail: 'Internal server error', code: ErrorCode.INTERNAL_ERROR };
  }
}
