// Imported first by main.ts: OpenTelemetry must patch http, express, pg and ioredis before anything requires them.
// A no-op unless OTEL_EXPORTER_OTLP_ENDPOINT is set (libs/runtime/src/telemetry/tracing.ts).
import { startTracing } from '@platform/tracing';

startTracing('knowledge-ingestor');
