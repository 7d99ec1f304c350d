import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { LATENCY_BUCKETS, Metrics, secondsSince } from '@platform/runtime';

/**
 * `http_request_duration_seconds{method,route,status}`: every request, by its route template
 * (`/v1/jobs/async/job/:job_id`, never the id; `unmatched` for 404s of unknown paths). A stream's
 * duration is its whole life, so stream routes are better read from `gateway_sse_streams_open`.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly seconds;

  constructor(@Inject(Metrics) metrics: Metrics) {
    this.seconds = metrics.histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests to the public port, by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
    });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      this.seconds.observe({ method: req.method, route: routeOf(req), status: String(res.statusCode) }, secondsSince(started));
    });
    next();
  }
}

/** The matched route's template (express sets `req.route` when a handler matched). */
export function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : 'unmatched';
}
