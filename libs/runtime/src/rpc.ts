import {
  ArgumentsHost,
  Catch,
  type CallHandler,
  createParamDecorator,
  type ExceptionFilter,
  type ExecutionContext,
  HttpException,
  Injectable,
  Logger,
  type NestInterceptor,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { NatsContext, RpcException } from '@nestjs/microservices';
import { ANONYMOUS, ErrorCode, Headers, isRemoteErrorBody, remoteError, type Principal, type RemoteErrorBody } from '@platform/contracts';
import { Observable, throwError } from 'rxjs';
import { isDependencyUnavailable } from './dependency-errors';
import { RemoteError } from './remote-error';
import { RequestContextStore } from './request-context';
import { context as otelContext, trace } from '@opentelemetry/api';
import { extractNatsHeaders, failSpan, SpanKind, tracer } from './telemetry/propagation';
import { tracingEnabled } from './telemetry/state';

export function describeValidationErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (m.startsWith(e.property) ? `${prefix ? prefix + '.' : ''}${m}` : `${path}: ${m}`));
    return [...own, ...describeValidationErrors(e.children ?? [], path)];
  });
}

/** Validates every inbound message against its contract class before a handler sees it. */
export function rpcValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new RpcException(remoteError(ErrorCode.INVALID_REQUEST, 'Invalid message', describeValidationErrors(errors))),
  });
}

/** Every failure becomes a typed `RemoteErrorBody` reply; nothing a sender does can crash the handler. */
@Catch()
export class RpcErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Rpc');
  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    const body = this.toBody(exception);
    if (host.getType() === 'http') {
      // The same filter guards a backend's probe routes: answer them as HTTP.
      const res = host.switchToHttp().getResponse<{ status(n: number): { json(b: unknown): void } }>();
      res.status(body.status).json({ detail: body.message });
      return;
    }
    return throwError(() => body);
  }
  private toBody(exception: unknown): RemoteErrorBody {
    if (exception instanceof RpcException) {
      const e = exception.getError();
      if (isRemoteErrorBody(e)) return e;
    }
    if (exception instanceof RemoteError) return exception.body;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return { code: status === 404 ? ErrorCode.NOT_FOUND : ErrorCode.INVALID_REQUEST, status, message: exception.message };
    }
    if (isDependencyUnavailable(exception)) {
      this.logger.warn(`dependency unavailable: ${(exception as Error).message}`);
      return remoteError(ErrorCode.SERVICE_UNAVAILABLE, 'A dependency is unavailable; retry shortly');
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return remoteError(ErrorCode.INTERNAL_ERROR, 'Internal error');
  }
}

function principalFrom(raw: string | undefined): Principal {
  if (!raw) return ANONYMOUS;
  try {
    const p = JSON.parse(raw) as Principal;
    return typeof p?.type === 'string' && typeof p?.sub === 'string' ? p : ANONYMOUS;
  } catch {
    return ANONYMOUS;
  }
}

/** Restores the caller's correlation id and principal from NATS headers for the handler's duration. */
@Injectable()
export class RpcContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const nats = context.switchToRpc().getContext<NatsContext>();
    const h = nats.getHeaders?.();
    const ctx = {
      correlationId: h?.get(Headers.correlationId) || RequestContextStore.correlationId(),
      principal: principalFrom(h?.get(Headers.principal) || undefined),
    };
    if (!tracingEnabled()) return new Observable((subscriber) => RequestContextStore.run(ctx, () => next.handle().subscribe(subscriber)));
    // The sender's span (W3C headers) is the parent of the handler's span; the handler runs inside it.
    const subject = nats.getSubject();
    const parent = extractNatsHeaders(h);
    const span = tracer().startSpan(
      `${subject} process`,
      { kind: SpanKind.SERVER, attributes: { 'messaging.system': 'nats', 'messaging.operation.type': 'process', 'messaging.destination.name': subject } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    return new Observable((subscriber) =>
      otelContext.with(active, () =>
        RequestContextStore.run(ctx, () =>
          next.handle().subscribe({
            next: (v) => subscriber.next(v),
            error: (err: unknown) => {
              failSpan(span, err);
              span.end();
              subscriber.error(err);
            },
            complete: () => {
              span.end();
              subscriber.complete();
            },
          }),
        ),
      ),
    );
  }
}

/** The principal a message was sent on behalf of (anonymous when none). */
export const Caller = createParamDecorator((_: unknown, _ctx: ExecutionContext): Principal => {
  return RequestContextStore.current()?.principal ?? ANONYMOUS;
});

export function rpcError(code: ErrorCode, message: string, details?: unknown, status?: number): RpcException {
  return new RpcException(remoteError(code, message, details, status));
}
