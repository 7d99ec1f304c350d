import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { eventually, json } from '../../support/http';
import { MockLlm } from '../../support/mock-llm';
import { startSuite, type Suite } from '../../support/services';
import { isTerminalFrame, readSse } from '../../support/sse';

jest.setTimeout(120_000);

/** One span as the OTLP/HTTP JSON exporter sends it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  links?: { traceId: string; spanId: string }[];
  attributes?: { key: string; value: Record<string, unknown> }[];
  service: string;
}

const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };

/** A minimal OTLP/HTTP collector: `POST /v1/traces` with `http/json` bodies, spans kept in memory. */
class OtlpReceiver {
  readonly spans: OtlpSpan[] = [];
  readonly contentTypes = new Set<string>();
  private server?: http.Server;

  async start(port: number): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.contentTypes.add(req.headers['content-type'] ?? '');
        if (req.url === '/v1/traces' && (req.headers['content-type'] ?? '').includes('json')) this.take(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private take(body: {
    resourceSpans?: {
      resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
      scopeSpans?: { spans?: Omit<OtlpSpan, 'service'>[] }[];
    }[];
  }): void {
    for (const rs of body.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
      for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) this.spans.push({ ...s, service });
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

/**
 * One trace from the client's request to the model call, across processes: the gateway's HTTP span →
 * its NATS request (traceparent in NATS headers) → the job-runner's handler → the Bull job (context
 * stored with it) → the agent run → the model call; live deliveries are linked to it, and log lines
 * carry its ids.
 */
describe('OpenTelemetry traces across gateway and job-runner (e2e)', () => {
  const llm = new MockLlm();
  const receiver = new OtlpReceiver();
  let suite: Suite;
  let nats: ChildProcess | undefined;
  let natsDir: string;

  beforeAll(async () => {
    // A private NATS server and Redis db: other suites' job-runners must not answer this suite's requests or take its job.
    natsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracing-nats-'));
    nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', '18816', '-js', '-sd', natsDir], { stdio: 'ignore' });
    await eventually(
      async () => (await fetch('http://127.0.0.1:18816').catch((e: { cause?: { code?: string } }) => e.cause?.code !== 'ECONNREFUSED')) !== false,
      10_000,
    );
    const endpoint = await receiver.start(18817);
    const llmUrl = await llm.start();
    suite = await startSuite({
      basePort: 18810,
      apps: ['gateway', 'job-runner'],
      env: {
        LLM_BASE_URL: llmUrl,
        LLM_MODEL: 'mock-model',
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        LOG_LEVEL: 'info',
        REDIS_URL: 'redis://127.0.0.1:6379/14',
        NATS_URL: 'nats://127.0.0.1:18816',
        ADMIN_PORT: '18819',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await suite?.stop();
    await llm.stop();
    await receiver.stop();
    nats?.kill('SIGTERM');
    fs.rmSync(natsDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }, 30_000);

  it('links gateway HTTP → NATS → job-runner handler → Bull → agent run → model call in one trace', async () => {
    const submit = await json<{ job_id: string }>(`${suite.gatewayUrl}/v1/jobs/async/submit`, {
      method: 'POST',
      body: { agent_type: 'shallow_researcher', input: `trace me [[tokens=5 delay=20]] ${Math.random()}` },
    });
    expect(submit.status).toBe(200);
    const jobId = submit.body.job_id;
    const sse = await readSse(`${suite.gatewayUrl}/v1/jobs/async/job/${jobId}/stream`, { until: (f) => f.some(isTerminalFrame), timeoutMs: 30_000 });
    expect(sse.frames.some(isTerminalFrame)).toBe(true);

    const attr = (s: OtlpSpan, key: string) => s.attributes?.find((a) => a.key === key)?.value;
    const agentRun = await eventually(
      async () => receiver.spans.find((s) => s.name === 'agent.run shallow_researcher' && attr(s, 'job.id')?.stringValue === jobId),
      15_000,
    );
    const trace = await eventually(async () => {
      const spans = receiver.spans.filter((s) => s.traceId === agentRun.traceId);
      return spans.some((s) => s.name === 'chat mock-model') && spans.some((s) => s.service === 'gateway' && s.kind === KIND.SERVER) ? spans : undefined;
    }, 15_000);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const parentOf = (s: OtlpSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);
    const one = (pred: (s: OtlpSpan) => boolean, what: string) => {
      const found = trace.filter(pred);
      expect({ what, count: found.length }).toEqual({ what, count: 1 });
      return found[0];
    };

    // The root: the gateway's HTTP server span of the submit.
    const httpSpan = one(
      (s) => s.service === 'gateway' && s.kind === KIND.SERVER && attr(s, 'http.route')?.stringValue === '/v1/jobs/async/submit',
      'gateway HTTP span',
    );
    expect(httpSpan.parentSpanId ?? '').toBe('');
    // The NATS request, somewhere under it (express middleware spans may sit in between).
    const send = one((s) => s.service === 'gateway' && s.name === 'jobs.submit send', 'NATS request span');
    expect(send.kind).toBe(KIND.CLIENT);
    let up = parentOf(send);
    while (up && up !== httpSpan) up = parentOf(up);
    expect(up).toBe(httpSpan);
    // job-runner: the handler is the NATS request's child, in another process.
    const handler = one((s) => s.service === 'job-runner' && s.name === 'jobs.submit process', 'job-runner handler span');
    expect(handler.kind).toBe(KIND.SERVER);
    expect(handler.parentSpanId).toBe(send.spanId);
    // The handler's insert is a pg span under it.
    expect(trace.some((s) => s.service === 'job-runner' && parentOf(s) === handler && /pg|INSERT|query/i.test(s.name))).toBe(true);
    // Bull: the consumer span, restored from the context stored with the job.
    const bull = one((s) => s.name === 'jobs process', 'Bull consumer span');
    expect(bull.kind).toBe(KIND.CONSUMER);
    expect(bull.parentSpanId).toBe(handler.spanId);
    // The agent run, and its model call.
    expect(agentRun.parentSpanId).toBe(bull.spanId);
    const model = one((s) => s.name === 'chat mock-model', 'model call span');
    expect(model.kind).toBe(KIND.CLIENT);
    expect(model.parentSpanId).toBe(agentRun.spanId);
    expect(attr(model, 'gen_ai.usage.output_tokens')).toEqual({ intValue: 5 });

    // Live deliveries to the SSE stream are linked to the job's trace.
    const deliveries = receiver.spans.filter((s) => s.service === 'gateway' && s.name === 'jobs.live deliver');
    expect(deliveries.some((d) => (d.links ?? []).some((l) => l.traceId === agentRun.traceId))).toBe(true);

    // A log line of the trace carries its ids (the gateway's request log of the submit).
    const lines = suite
      .app('gateway')
      .log(500)
      .split('\n')
      .filter((l) => l.includes(`"trace_id":"${agentRun.traceId}"`));
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.parse(lines[0])).toMatchObject({ trace_id: agentRun.traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });
});
