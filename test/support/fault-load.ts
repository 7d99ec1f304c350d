import type { Answer } from './history';

/** One API call as the suite saw it. */
export interface CallRecord {
  kind: string;
  jobId?: string;
  start: number;
  end: number;
  answer: Answer;
  retryAfter?: string | null;
  detail?: string;
}

let nextAddress = 1;

/**
 * A distinct client address for the gateway's per-caller limits (it trusts X-Forwarded-For from
 * loopback). IPv6 documentation addresses, so each simulated browser or backend is its own caller
 * and the default rate limits stay in the path (and in play while Redis is down) without one test
 * process exhausting them.
 */
export function newAddress(): string {
  return `2001:db8::${(nextAddress++).toString(16)}`;
}

/** Calls the API and records every answer (status, latency, Retry-After), including the ones that never came. */
export class ApiClient {
  readonly records: CallRecord[] = [];

  constructor(public base: string) {}

  async call(
    kind: string,
    method: string,
    path: string,
    opts: { body?: unknown; jobId?: string; timeoutMs?: number; address?: string; headers?: Record<string, string> } = {},
  ): Promise<CallRecord & { body?: unknown }> {
    const headers: Record<string, string> = { 'X-Forwarded-For': opts.address ?? newAddress(), ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const rec: CallRecord = { kind, start: Date.now(), end: 0, answer: 'network' };
    if (opts.jobId) rec.jobId = opts.jobId;
    let body: unknown;
    try {
      const res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 20_000),
      });
      const text = await res.text();
      rec.answer = res.status;
      rec.retryAfter = res.headers.get('retry-after');
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      if (res.status >= 300) rec.detail = text.slice(0, 160);
    } catch (err) {
      const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
      rec.answer = e?.name === 'TimeoutError' ? 'timeout' : 'network';
      rec.detail = [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ');
    }
    rec.end = Date.now();
    this.records.push(rec);
    return { ...rec, body };
  }

  /** POST /submit with a client-chosen job id, so the checker can tell whether a failed submit created a job. */
  submit(jobId: string, input: string, address?: string): Promise<CallRecord & { body?: unknown }> {
    return this.call('submit', 'POST', '/v1/jobs/async/submit', { body: { agent_type: 'shallow_researcher', input, job_id: jobId }, jobId, address });
  }
}

/**
 * Asks the API a cheap question every `intervalMs` (GET one job: gateway → NATS → job-runner →
 * Postgres), one at a time, to measure how long the API was unavailable.
 */
export class Prober {
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly api: ApiClient,
    private readonly path: () => string,
    private readonly intervalMs = 200,
    private readonly timeoutMs = 12_000,
  ) {}

  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        const t0 = Date.now();
        await this.api.call('probe', 'GET', this.path(), { timeoutMs: this.timeoutMs });
        const wait = this.intervalMs - (Date.now() - t0);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

export const answered2xx = (r: CallRecord): boolean => typeof r.answer === 'number' && r.answer >= 200 && r.answer < 300;

/**
 * Unavailability from a sequence of probes: each failed probe opens (or extends) an outage that ends
 * when the next successful probe starts. Returns the total seconds and the windows.
 */
export function unavailability(records: CallRecord[]): { seconds: number; windows: { from: number; to: number }[]; recovered: boolean } {
  const sorted = [...records].sort((a, b) => a.start - b.start);
  const windows: { from: number; to: number }[] = [];
  let open: number | null = null;
  for (const r of sorted) {
    if (!answered2xx(r)) open ??= r.start;
    else if (open !== null) {
      windows.push({ from: open, to: r.start });
      open = null;
    }
  }
  if (open !== null) windows.push({ from: open, to: Math.max(...sorted.map((r) => r.end)) });
  return { seconds: windows.reduce((s, w) => s + (w.to - w.from), 0) / 1000, windows, recovered: open === null };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** "503×7, network×2" */
export function countAnswers(records: CallRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[String(r.answer)] = (out[String(r.answer)] ?? 0) + 1;
  return out;
}
