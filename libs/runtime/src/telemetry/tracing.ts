import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { setTracingEnabled, setTracingShutdown } from './state';

/**
 * The tracing bootstrap. It must run before http, express, pg and ioredis are first required (the
 * instrumentations patch them as they load), so each app's `main.ts` imports its `tracing.ts` first,
 * which imports this file through the `@platform/tracing` alias — not the runtime index, which would
 * load Nest, TypeORM and ioredis first.
 *
 * Off (nothing registered, no span objects, no headers) unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and `OTEL_SDK_DISABLED` is not true. The standard
 * variables apply: `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` by default, or `http/json`),
 * `OTEL_SERVICE_NAME` (default: the app's name), `OTEL_TRACES_SAMPLER`/`_ARG`, `OTEL_BSP_*`,
 * `OTEL_RESOURCE_ATTRIBUTES`. Only traces are exported: metrics are Prometheus (`/metrics`), logs stay JSON.
 */
let sdk: NodeSDK | undefined;

export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  const endpoint = (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || '').trim();
  return endpoint.length > 0 && (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() !== 'true';
}

export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk || !tracingConfigured(env)) return false;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  // Each exporter reads its endpoint, headers and timeout from the standard variables.
  const traceExporter = protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtoExporter();
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || service,
    traceExporter,
    // Metrics and logs have their own channels here; without these the SDK would start OTLP exporters for them too.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are not requests worth a trace.
        ignoreIncomingRequestHook: (req) => /^\/(health|metrics)(\/|$|\?)/.test(req.url ?? ''),
      }),
      new ExpressInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  setTracingEnabled(true);
  setTracingShutdown(() => shutdownTracing());
  return true;
}

/** Flushes what is buffered and stops exporting (on SIGTERM, after the app closed). Bounded by `timeoutMs`. */
export async function shutdownTracing(timeoutMs = 3000): Promise<void> {
  const s = sdk;
  if (!s) return;
  sdk = undefined;
  setTracingEnabled(false);
  await Promise.race([s.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}
