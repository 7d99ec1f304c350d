import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import { natsConnectionOptions } from './bus.module';
import { RpcContextInterceptor, RpcErrorFilter, rpcValidationPipe } from './rpc';
import { flushTracing } from './telemetry/state';

export interface ServiceBootstrap {
  service: string;
  module: Type<unknown> | DynamicModule;
  port: number;
  natsUrl: string;
  /** Listen for NATS requests as this queue group, so replicas share the work. */
  queue?: string;
  /** Called before the HTTP server listens (middleware, pipes, server settings). */
  configure?: (app: INestApplication) => void | Promise<void>;
  /**
   * On SIGTERM/SIGINT, run first, while every provider is still up (e.g. stop accepting HTTP and let
   * in-flight requests finish); then the app closes (Nest's shutdown hooks).
   */
  beforeClose?: (app: INestApplication) => Promise<void>;
}

/**
 * Starts a service: JSON logger, NATS responders in the service's queue group with validation and
 * typed error replies, the HTTP server for probes (and, on the gateway, the API), and shutdown hooks
 * so SIGTERM drains work instead of dropping it.
 */
export async function bootstrapService(opts: ServiceBootstrap): Promise<INestApplication> {
  // No default body parsers: the API is JSON only, and the gateway registers its JSON parser itself
  // (size limit, NUL check). A form-encoded body is then simply not parsed and fails validation.
  const app = await NestFactory.create(opts.module, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  stopOnSignals(app, opts);
  if (opts.configure) await opts.configure(app);
  if (opts.queue) {
    // Registered on the app and inherited by the NATS listener (the one wiring for every backend's NATS
    // controllers; test/integration/jobs/rpc-contract.test.ts proves it for a subject of each backend).
    // Nest 12 ignores enhancers set on a connected microservice after the fact, which would silently
    // drop validation and the caller's principal.
    app.useGlobalPipes(rpcValidationPipe());
    app.useGlobalFilters(new RpcErrorFilter());
    app.useGlobalInterceptors(new RpcContextInterceptor());
    app.connectMicroservice<MicroserviceOptions>(
      {
        transport: Transport.NATS,
        // On shutdown: unsubscribe first (new requests go to the other replicas of the queue group), give the
        // requests already being handled a second to be answered, then close.
        options: { ...natsConnectionOptions(opts.natsUrl, opts.service), queue: opts.queue, gracefulShutdown: true, gracePeriod: 1000 },
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
  }
  await app.listen(opts.port, process.env.HOST ?? '0.0.0.0');
  return app;
}

/**
 * SIGTERM/SIGINT: `beforeClose`, then the app's shutdown hooks, then exit 0 (1 if the stop failed), so
 * a supervisor sees a clean stop. (Nest's own handler re-raises the signal after the hooks, and the
 * process then ends by the signal, not with a code.) A second signal while stopping is ignored: the
 * supervisor's SIGKILL after its grace period is the bound.
 */
function stopOnSignals(app: INestApplication, opts: ServiceBootstrap): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      try {
        await opts.beforeClose?.(app);
        await app.close();
        await flushTracing();
        process.exit(0);
      } catch (err) {
        console.error(JSON.stringify({ level: 'fatal', message: `${opts.service} did not stop cleanly: ${(err as Error).message}` }));
        process.exit(1);
      }
    })();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, stop);
}

/** `node main.js migrate` applies migrations and exits; anything else starts the service. */
export async function runCli(main: () => Promise<unknown>, migrate?: () => Promise<string[]>): Promise<void> {
  try {
    if (process.argv[2] === 'migrate') {
      if (!migrate) return;
      const applied = await migrate();
      console.log(JSON.stringify({ level: 'info', message: 'migrations applied', applied }));
      process.exit(0);
    }
    await main();
  } catch (err) {
    console.error(JSON.stringify({ level: 'fatal', message: (err as Error).message }));
    process.exit(1);
  }
}
