import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule, type Params } from 'nestjs-pino';
import { RequestContextStore } from './request-context';

export const CORRELATION_HEADER = 'x-request-id';

/**
 * Structured JSON logs (pino). Every line carries the service name and, inside a request or a NATS
 * handler, the correlation id, so one request can be followed across services with a single grep.
 */
export function loggingModule(service: string, level: string, exclude?: Params['exclude']) {
  return LoggerModule.forRoot({
    // Routes without per-request logging (long-lived streams: a child logger per connection costs memory).
    exclude,
    pinoHttp: {
      level,
      base: { service },
      messageKey: 'message',
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      mixin: () => {
        const ctx = RequestContextStore.current();
        return ctx ? { correlationId: ctx.correlationId } : {};
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
