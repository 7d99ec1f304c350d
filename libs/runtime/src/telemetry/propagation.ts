import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { tracingEnabled } from './state';

/**
 * Trace context across the hops OpenTelemetry has no instrumentation for: NATS messages (W3C
 * `traceparent`/`tracestate` as NATS headers) and Bull jobs (a carrier object stored in the job data).
 * Everything here is a no-op returning `undefined` when tracing is off, so callers pay one boolean check.
 */

export const tracer = () => trace.getTracer('platform');

const natsSetter: TextMapSetter<MsgHdrs> = { set: (h, k, v) => h.set(k, v) };
const natsGetter: TextMapGetter<MsgHdrs> = {
  keys: (h) => h.keys(),
  get: (h, k) => (h.has(k) ? h.get(k) : undefined),
};

/** A W3C trace-context carrier: what is stored with a queued job. */
export type TraceCarrier = Record<string, string>;

/** Adds the active span's context to `h` (creating headers when none are given); `h` unchanged when there is no span. */
export function injectNatsHeaders(h?: MsgHdrs, ctx: Context = context.active()): MsgHdrs | undefined {
  if (!tracingEnabled() || !trace.getSpanContext(ctx)) return h;
  const out = h ?? natsHeaders();
  propagation.inject(ctx, out, natsSetter);
  return out;
}

/** The context a NATS message's headers carry (the root context when none). */
export function extractNatsHeaders(h: MsgHdrs | undefined): Context {
  if (!h) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, h, natsGetter);
}

/** The active span's context as a plain object to store with a job; `undefined` without tracing or span. */
export function captureTrace(ctx: Context = context.active()): TraceCarrier | undefined {
  if (!tracingEnabled() || !trace.getSpanContext(ctx)) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(ctx, carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

/** The context a stored carrier describes (the root context when none). */
export function restoreTrace(carrier: TraceCarrier | undefined | null): Context {
  if (!carrier || typeof carrier !== 'object') return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** A link to the span a carrier or NATS headers name (for work that belongs with a trace without being its child). */
export function linkTo(ctx: Context): Link[] {
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? [{ context: sc }] : [];
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent; the active context when omitted. */
  parent?: Context;
  links?: Link[];
}

/**
 * Runs `fn` inside a new active span named `name`, ending it when `fn` settles (an exception is
 * recorded and marks the span as an error). Without tracing `fn` runs as is: no span, no context switch.
 */
export function inSpan<T>(name: string, opts: SpanOptions, fn: (span?: Span) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return fn();
  const parent = opts.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes, links: opts.links }, parent);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks a span as failed with `err`. */
export function failSpan(span: Span | undefined, err: unknown): void {
  if (!span) return;
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
}

/** The active span's ids, for log lines (`undefined` without a recording span). */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  if (!tracingEnabled()) return undefined;
  const sc = trace.getSpanContext(context.active());
  return sc && trace.isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : undefined;
}

export { SpanKind };

/** NATS header of a live job-event message: when it was published (ms since the epoch), for the gateway's fan-out lag. */
export const PUBLISHED_AT_HEADER = 'Platform-Published-At';
