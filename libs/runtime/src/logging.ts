import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule, type Params } from 'nestjs-pino';
import { RequestContextStore } from './request-context';
import { activeTraceIds } from './telemetry/propagation';

export const CORRELATION_HEADER = 'x-request-id';

const REQUEST_LOG_LEVELS = new Set(['trace', 'debug', 'info']);

/**
 * Structured JSON logs (pino). Every line carries the service name and, inside a request or a NATS
 * handler, the correlation id, so one request can be followed across services with a single grep;
 * with tracing on, also the active span's `trace_id` and `span_id`.
 */
export function loggingModule(service: string, level: string, exclude?: Params['exclude']) {
  return LoggerModule.forRoot({
    // Routes without per-request logging (long-lived streams: a child logger per connection costs memory).
    exclude,
    // Request lines are logged at info: above it, pino-http's per-request child logger would write
    // nothing yet cost ~10 % of a gateway's CPU. Unexpected errors are logged by the error filters,
    // and the request context (correlation id, X-Request-ID) does not depend on it.
    forRoutes: REQUEST_LOG_LEVELS.has(level) ? undefined : [],
    pinoHttp: {
      level,
      base: { service },
      messageKey: 'message',
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      mixin: () => {
        const ctx = RequestContextStore.current();
        const ids = activeTraceIds();
        if (!ids) return ctx ? { correlationId: ctx.correlationId } : {};
        return ctx ? { correlationId: ctx.correlationId, ...ids } : ids;
      },
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers[CORRELATION_HEADER];
        const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
        res.setHeader('X-Request-ID', id);
        return id;
      },
      // Health probes and SSE keep-alives would drown the log.
      autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') },
      serializers: {
        // Query strings can carry stream tickets: never log them.
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  });
}
