import { createServer, type Server } from 'node:http';
import { Controller, Get, Global, Header, Inject, Module, Res, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Response } from 'express';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/** Seconds buckets for request-like latencies (1 ms … 30 s). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds buckets for whole runs and waits (10 ms … 1 h). */
export const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * One service's Prometheus registry (prom-client), with the process and Node defaults. Features ask it
 * for their metrics by name (`counter`, `histogram`, `gauge`): asking twice returns the same metric, so
 * two providers may share one. Gauges that read a store use `collect`, run at scrape time only.
 * Rules: names in base units with `_seconds`/`_bytes`/`_total`; label values from bounded sets (route
 * templates, subjects, agent types, statuses, model names) — never ids.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(cfg: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return this.existing<Counter<L>>(cfg.name) ?? new Counter({ ...cfg, registers: [this.registry] });
  }

  histogram<L extends string>(cfg: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return this.existing<Histogram<L>>(cfg.name) ?? new Histogram({ ...cfg, registers: [this.registry] });
  }

  gauge<L extends string>(cfg: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return this.existing<Gauge<L>>(cfg.name) ?? new Gauge({ ...cfg, registers: [this.registry] });
  }

  /** The exposition text (`/metrics`). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private existing<T>(name: string): T | undefined {
    return this.registry.getSingleMetric(name) as T | undefined;
  }
}

/** Seconds since `startNs` (`process.hrtime.bigint()`). */
export const secondsSince = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;

/** `GET /metrics` on a backend's probe port. */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    const body = await this.metrics.scrape();
    res.setHeader('Content-Type', this.metrics.contentType);
    res.send(body);
  }
}

@Global()
@Module({})
export class MetricsModule {
  /**
   * The service's `Metrics`, everywhere. `endpoint: true` (backends) also answers `GET /metrics` on the
   * app's own HTTP server (the probe port); the gateway serves it on its admin port instead (`AdminServer`).
   */
  static forRoot(service: string, opts: { endpoint: boolean }): DynamicModule {
    return {
      module: MetricsModule,
      providers: [{ provide: Metrics, useValue: new Metrics(service) }],
      controllers: opts.endpoint ? [MetricsController] : [],
      exports: [Metrics],
    };
  }
}

/**
 * A small HTTP server of its own for operators (the gateway's `ADMIN_PORT`): `GET /metrics`, and
 * `/health/live`. Never on the public port, so the metrics cannot be read from outside the cluster.
 */
export class AdminServer implements OnApplicationShutdown {
  private server?: Server;

  constructor(private readonly metrics: Metrics) {}

  listen(port: number, host = '0.0.0.0'): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      } else if (path === '/metrics') {
        this.metrics.scrape().then(
          (body) => res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' }).end(body),
          (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(err.message),
        );
      } else if (path === '/health/live' || path === '/health') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'healthy', service: this.metrics.service }));
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      }
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
