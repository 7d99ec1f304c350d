import 'reflect-metadata';
import { json } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { bootstrapService, loadConfig, runCli } from '@platform/runtime';
import { AppModule } from './app.module';
import { GatewayConfig } from './config';
import { HttpErrorsFilter } from './http/http-errors.filter';
import { checkJsonValue, verifyJsonBytes } from './http/json-body';
import { httpValidationPipe } from './http/validation';
import { mountOpenApi } from './openapi';

void runCli(async () => {
  const config = loadConfig(GatewayConfig);
  await bootstrapService({
    service: 'gateway',
    module: AppModule.forRoot(config),
    port: config.PORT,
    natsUrl: config.NATS_URL,
    configure: (app) => {
      const express = app as NestExpressApplication;
      express.set('trust proxy', 'loopback, linklocal, uniquelocal');
      express.disable('x-powered-by');
      // express's own parser, not useBodyParser: Nest's wrapper reserves `verify` (for rawBody), which the byte checks need.
      express.use(json({ limit: config.JSON_BODY_LIMIT_BYTES, reviver: checkJsonValue, verify: verifyJsonBytes }));
      app.useGlobalPipes(httpValidationPipe());
      app.useGlobalFilters(new HttpErrorsFilter());
      mountOpenApi(app);
    },
  });
});
