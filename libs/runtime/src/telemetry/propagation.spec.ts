import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { context, propagation, trace } from '@opentelemetry/api';
import { node, tracing } from '@opentelemetry/sdk-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { activeTraceIds, captureTrace, extractNatsHeaders, injectNatsHeaders, inSpan, linkTo, restoreTrace, tracer } from './propagation';
import { setTracingEnabled, tracingEnabled } from './state';

const exporter = new tracing.InMemorySpanExporter();
const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  // What startTracing does through the NodeSDK: a global provider, AsyncLocalStorage context, W3C propagator.
  provider.register();
});
afterEach(() => {
  exporter.reset();
  setTracingEnabled(false);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('NATS header propagation', () => {
  it('adds nothing while tracing is off, even inside a span', () => {
    setTracingEnabled(false);
    const span = tracer().startSpan('off');
    context.with(trace.setSpan(context.active(), span), () => {
      expect(injectNatsHeaders()).toBeUndefined();
      const h = natsHeaders();
      expect(injectNatsHeaders(h)).toBe(h);
      expect(h.has('traceparent')).toBe(false);
    });
    span.end();
  });

  it('adds nothing without an active span', () => {
    setTracingEnabled(true);
    expect(injectNatsHeaders()).toBeUndefined();
    expect(captureTrace()).toBeUndefined();
  });

  it("carries the active span as traceparent, and the receiver's context has it as remote parent", () => {
    setTracingEnabled(true);
    const span = tracer().startSpan('send');
    const sc = span.spanContext();
    const h = context.with(trace.setSpan(context.active(), span), () => injectNatsHeaders(natsHeaders()))!;
    span.end();
    const [, traceId, spanId] = TRACEPARENT.exec(h.get('traceparent'))!;
    expect(traceId).toBe(sc.traceId);
    expect(spanId).toBe(sc.spanId);

    const received = trace.getSpanContext(extractNatsHeaders(h))!;
    expect(received).toMatchObject({ traceId: sc.traceId, spanId: sc.spanId, isRemote: true });
    // A handler span started under it is its child.
    const child = tracer().startSpan('process', {}, extractNatsHeaders(h));
    child.end();
    const [exported] = exporter.getFinishedSpans().filter((s) => s.name === 'process');
    expect(exported.spanContext().traceId).toBe(sc.traceId);
    expect(exported.parentSpanContext?.spanId).toBe(sc.spanId);
  });

  it('keeps the headers already set (correlation id, principal)', () => {
    setTracingEnabled(true);
    const h = natsHeaders();
    h.set('x-correlation-id', 'abc');
    void inSpan('send', {}, async () => injectNatsHeaders(h));
    expect(h.get('x-correlation-id')).toBe('abc');
    expect(h.get('traceparent')).toMatch(TRACEPARENT);
  });

  it('extracts the root context from a message without headers or with a malformed traceparent', () => {
    expect(trace.getSpanContext(extractNatsHeaders(undefined))).toBeUndefined();
    const h = natsHeaders();
    h.set('traceparent', 'not-a-traceparent');
    expect(trace.getSpanContext(extractNatsHeaders(h))).toBeUndefined();
    expect(linkTo(extractNatsHeaders(h))).toEqual([]);
  });
});

describe('Bull job carrier', () => {
  it('round-trips through JSON (as stored in Redis) and parents the consumer span', async () => {
    setTracingEnabled(true);
    let submitTrace = '';
    let submitSpan = '';
    const carrier = await inSpan('submit', {}, async (span) => {
      submitTrace = span!.spanContext().traceId;
      submitSpan = span!.spanContext().spanId;
      return captureTrace();
    });
    expect(carrier).toEqual({ traceparent: `00-${submitTrace}-${submitSpan}-01` });
    const stored = JSON.parse(JSON.stringify({ job_id: 'j', trace: carrier })) as { trace: Record<string, string> };

    await inSpan('jobs process', { parent: restoreTrace(stored.trace) }, async () => {
      await inSpan('agent.run echo', {}, async () => undefined);
    });
    const spans = exporter.getFinishedSpans();
    const processSpan = spans.find((s) => s.name === 'jobs process')!;
    const agent = spans.find((s) => s.name === 'agent.run echo')!;
    expect(processSpan.spanContext().traceId).toBe(submitTrace);
    expect(processSpan.parentSpanContext?.spanId).toBe(submitSpan);
    expect(agent.parentSpanContext?.spanId).toBe(processSpan.spanContext().spanId);
  });

  it('restores the root context from a missing or foreign carrier', () => {
    expect(trace.getSpanContext(restoreTrace(undefined))).toBeUndefined();
    expect(trace.getSpanContext(restoreTrace({ nothing: 'here' }))).toBeUndefined();
  });
});

describe('inSpan', () => {
  it('records a failure and rethrows it', async () => {
    setTracingEnabled(true);
    await expect(inSpan('boom', {}, async () => Promise.reject(new Error('bad')))).rejects.toThrow('bad');
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('boom');
    expect(span.status).toMatchObject({ code: 2, message: 'bad' });
  });

  it('creates no span and no context while tracing is off', async () => {
    expect(tracingEnabled()).toBe(false);
    const seen = await inSpan('off', {}, async (span) => ({ span, ids: activeTraceIds() }));
    expect(seen).toEqual({ span: undefined, ids: undefined });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it("gives log lines the active span's ids", async () => {
    setTracingEnabled(true);
    const ids = await inSpan('log', {}, async (span) => ({ expected: span!.spanContext(), got: activeTraceIds() }));
    expect(ids.got).toEqual({ trace_id: ids.expected.traceId, span_id: ids.expected.spanId });
  });
});
