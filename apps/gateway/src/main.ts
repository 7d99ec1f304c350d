import './tracing';
import 'reflect-metadata';
import type { Server } from 'node:http';
import { json } from 'express';
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AdminServer, bootstrapService, loadConfig, Metrics, runCli } from '@platform/runtime';
import { AppModule } from './app.module';
import { GatewayConfig } from './config';
import { HttpErrorsFilter } from './http/http-errors.filter';
import { HttpServerControl } from './http/http-server';
import { checkJsonValue, verifyJsonBytes } from './http/json-body';
import { httpValidationPipe } from './http/validation';
import { JobStream } from './jobs/job-stream';
import { JobEnds } from './jobs/job-ends';
import { mountOpenApi } from './openapi';

void runCli(async () => {
  const config = loadConfig(GatewayConfig);
  if (config.ADMIN_PORT === config.PORT) throw new Error('ADMIN_PORT must differ from PORT: /metrics is never served on the public port');
  let server: HttpServerControl | undefined;
  let admin: AdminServer | undefined;
  await bootstrapService({
    service: 'gateway',
    module: AppModule.forRoot(config),
    port: config.PORT,
    natsUrl: config.NATS_URL,
    configure: async (app) => {
      const express = app as NestExpressApplication;
      express.set('trust proxy', 'loopback, linklocal, uniquelocal');
      express.disable('x-powered-by');
      // Slow or broken clients: bounded request head and body, and a stop that does not wait for them.
      server = new HttpServerControl(app.getHttpServer() as Server, {
        headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
        bodyIdleTimeoutMs: config.HTTP_BODY_IDLE_TIMEOUT_MS,
        requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
        uploadTimeoutMs: config.UPLOAD_REQUEST_TIMEOUT_MS,
      });
      // express's own parser, not useBodyParser: Nest's wrapper reserves `verify` (for rawBody), which the byte checks need.
      express.use(json({ limit: config.JSON_BODY_LIMIT_BYTES, reviver: checkJsonValue, verify: verifyJsonBytes }));
      app.useGlobalPipes(httpValidationPipe());
      app.useGlobalFilters(new HttpErrorsFilter());
      mountOpenApi(app);
      admin = new AdminServer(app.get(Metrics));
      const adminPort = await admin.listen(config.ADMIN_PORT, process.env.HOST ?? '0.0.0.0');
      new Logger('AdminServer').log(`metrics on admin port ${adminPort} (GET /metrics)`);
    },
    // SIGTERM: stop accepting, end the streams (clients resume elsewhere by Last-Event-ID) and answer
    // the calls waiting for a job's end (service_run, chat completions: 503, the run goes on), give the
    // other requests up to SHUTDOWN_GRACE_MS, close every connection; then the providers stop.
    beforeClose: async (app) => {
      const streams = app.get(JobStream);
      const waits = app.get(JobEnds);
      await server?.drain(config.SHUTDOWN_GRACE_MS, () => {
        streams.endAll();
        waits.endAll();
      });
      await admin?.onApplicationShutdown();
    },
  });
});
