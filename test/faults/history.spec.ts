import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrowserEventSource } from '../support/eventsource';
import { countAnswers, unavailability, type CallRecord } from '../support/fault-load';
import { checkClient, checkHistory, checkJob, summariseSeqs, type ClientRecord, type History, type JobRow, type LogEvent } from '../support/history';

/**
 * The fault suite's checkers on planted inconsistencies: each must catch what it exists to catch
 * (a checker that cannot fail proves nothing). Pure data, plus a loopback HTTP server for the
 * EventSource client.
 */

const status = (seq: number, s: string, extra: Record<string, unknown> = {}): LogEvent => ({ seq, type: 'job.status', data: { status: s, ...extra } });
const chunk = (seq: number, content: string): LogEvent => ({ seq, type: 'llm.chunk', data: { content, step: 'answer' } });

/** A healthy job: submitted, running, three chunks, success. */
function goodLog(): LogEvent[] {
  return [status(1, 'submitted'), status(2, 'running', { attempt: 1, retried: false }), chunk(3, 'a'), chunk(4, 'b'), chunk(5, 'c'), status(6, 'success')];
}
const row = (id: string, over: Partial<JobRow> = {}): JobRow => ({ id, status: 'success', last_seq: 6, attempt: 1, error: null, ...over });

function history(jobs: [JobRow, LogEvent[]][]): History {
  return { jobs: new Map(jobs.map(([r]) => [r.id, r])), events: new Map(jobs.map(([r, e]) => [r.id, e])) };
}
const received = (log: LogEvent[]) => log.map((e) => ({ id: e.seq, type: e.type, data: e.data }));
const client = (jobId: string, log: LogEvent[], over: Partial<ClientRecord> = {}): ClientRecord => ({
  name: 'c1',
  jobId,
  received: received(log),
  outcome: 'closed',
  connections: 1,
  ...over,
});

describe('history checker', () => {
  it('passes a consistent history', () => {
    const log = goodLog();
    const r = checkHistory(history([[row('j1'), log]]), [{ jobId: 'j1', answer: 200 }], [client('j1', log)]);
    expect(r.violations).toEqual([]);
    expect(r.stats).toMatchObject({ jobs: 1, terminal: 1, stuck: [], submitsOk: 1, lostEvents: 0, duplicateEvents: 0, clientsFailed: 0 });
  });

  it('accepts a retried job whose sequence continues (attempt 2)', () => {
    const log = [
      status(1, 'submitted'),
      status(2, 'running', { attempt: 1 }),
      chunk(3, 'a'),
      status(4, 'running', { attempt: 2, retried: true }),
      chunk(5, 'a'),
      status(6, 'success'),
    ];
    expect(checkJob(row('j1', { attempt: 2 }), log)).toEqual([]);
  });

  it('catches a gap in seq', () => {
    const log = goodLog().filter((e) => e.seq !== 4);
    expect(checkJob(row('j1'), log).join('\n')).toMatch(/seq not gap-free from 1: position 4 holds seq 5/);
  });

  it('catches a log that does not start at 1, and last_seq disagreeing with the log', () => {
    const log = goodLog().map((e) => ({ ...e, seq: e.seq + 1 }));
    const v = checkJob(row('j1', { last_seq: 7 }), log).join('\n');
    expect(v).toMatch(/position 1 holds seq 2/);
    expect(v).toMatch(/last_seq is 7 but the log holds 6 events/);
  });

  it('catches a stuck job (no terminal status), and counts it', () => {
    const log = goodLog().slice(0, 4);
    const r = checkHistory(history([[row('j1', { status: 'running', last_seq: 4 }), log]]), [{ jobId: 'j1', answer: 200 }], []);
    expect(r.violations.join('\n')).toMatch(/job j1: stuck: status 'running', attempt 1, no terminal job.status; last event seq 4 llm.chunk/);
    const dated = checkJob(row('j1', { status: 'submitted', last_seq: 1, created_at: Date.UTC(2026, 0, 1, 10, 0, 1, 500) }), log.slice(0, 1));
    expect(dated.join('\n')).toMatch(/stuck: status 'submitted'.*\(created 10:00:01.500\)/);
    expect(r.stats.stuck).toEqual(['j1']);
  });

  it('catches two terminal statuses, and events after the terminal one', () => {
    const two = [...goodLog(), status(7, 'failure')];
    expect(checkJob(row('j1', { last_seq: 7, status: 'failure' }), two).join('\n')).toMatch(/2 terminal job.status events \(seq 6 success, seq 7 failure\)/);
    const after = [...goodLog(), chunk(7, 'late')];
    expect(checkJob(row('j1', { last_seq: 7 }), after).join('\n')).toMatch(/events after the terminal status \(terminal seq 6, last seq 7 llm.chunk\)/);
  });

  it('catches a row status that disagrees with the log, and a failure where success was expected', () => {
    expect(checkJob(row('j1', { status: 'running' }), goodLog()).join('\n')).toMatch(/row status 'running' but the log ends with 'success'/);
    const failed = [...goodLog().slice(0, 5), status(6, 'failure', { error: 'boom' })];
    expect(checkJob(row('j1', { status: 'failure', error: 'boom' }), failed).join('\n')).toMatch(/ended 'failure' \(boom\), expected success/);
    expect(checkJob(row('j1', { status: 'failure', error: 'boom' }), failed, { allowJobFailure: true })).toEqual([]);
  });

  it('catches a first event that is not job.status submitted', () => {
    const log = [chunk(1, 'x'), ...goodLog().slice(1)];
    expect(checkJob(row('j1'), log).join('\n')).toMatch(/first event is llm.chunk/);
  });

  it('catches a 2xx submit whose job does not exist', () => {
    const r = checkHistory(history([]), [{ jobId: 'ghost', answer: 200 }], []);
    expect(r.violations).toEqual(['submit ghost: answered 200 but no such job exists']);
  });

  it('catches a 503 (or 429) whose job was created anyway — a retry would duplicate it', () => {
    const log = goodLog();
    const r = checkHistory(
      history([
        [row('j1'), log],
        [row('j2'), log],
      ]),
      [
        { jobId: 'j1', answer: 503 },
        { jobId: 'j2', answer: 429 },
      ],
      [],
    );
    expect(r.violations.join('\n')).toMatch(/submit j1: answered 503 but the job was created \(status 'success', 6 events\)/);
    expect(r.violations.join('\n')).toMatch(/submit j2: answered 429 but the job was created/);
    expect(r.stats.falseFailures).toEqual(['j1', 'j2']);
  });

  it('does not judge submits without a definite answer (no response, 500, 504), but counts them', () => {
    const log = goodLog();
    const r = checkHistory(
      history([[row('j1'), log]]),
      [
        { jobId: 'j1', answer: 'network' },
        { jobId: 'j2', answer: 504 },
      ],
      [],
    );
    expect(r.violations).toEqual([]);
    expect(r.stats.submitsUnknown).toBe(2);
  });

  it('accepts a 503 then a successful retry of the same job id, and a 409 for an existing job', () => {
    const log = goodLog();
    const r = checkHistory(
      history([[row('j1'), log]]),
      [
        { jobId: 'j1', answer: 503 },
        { jobId: 'j1', answer: 200 },
        { jobId: 'j1', answer: 409 },
      ],
      [],
    );
    expect(r.violations).toEqual([]);
  });

  it('catches a job nobody submitted', () => {
    const r = checkHistory(history([[row('j1'), goodLog()]]), [], []);
    expect(r.violations).toEqual(['job j1: exists but nobody submitted it']);
  });
});

describe('client check', () => {
  const log = goodLog();

  it('passes a client that got the log exactly, across reconnects', () => {
    expect(checkClient(client('j1', log, { connections: 3 }), log)).toEqual({ violations: [], lost: 0, duplicates: 0 });
  });

  it('catches lost events', () => {
    const r = checkClient(client('j1', log, { received: received(log).filter((e) => e.id !== 3 && e.id !== 4) }), log);
    expect(r.lost).toBe(2);
    expect(r.violations.join('\n')).toMatch(/2 of 6 logged events never received \(seqs 3-4\)/);
  });

  it('catches duplicated and out-of-order events', () => {
    const dup = checkClient(client('j1', log, { received: [...received(log).slice(0, 4), received(log)[2], ...received(log).slice(4)] }), log);
    expect(dup.duplicates).toBe(1);
    expect(dup.violations.join('\n')).toMatch(/1 duplicate event/);
    const swapped = received(log);
    [swapped[2], swapped[3]] = [swapped[3], swapped[2]];
    expect(checkClient(client('j1', log, { received: swapped }), log).violations.join('\n')).toMatch(/1 event\(s\) out of order/);
  });

  it('catches an event whose content differs from the log', () => {
    const changed = received(log);
    changed[3] = { ...changed[3], data: { content: 'X', step: 'answer' } };
    expect(checkClient(client('j1', log, { received: changed }), log).violations.join('\n')).toMatch(
      /1 event\(s\) differ from the log, first: seq 4: got llm.chunk/,
    );
  });

  it('judges a client cut short only on events logged well before it was closed', () => {
    const t0 = 1_000_000;
    const timed = log.map((e, i) => ({ ...e, ts: t0 + i * 1000 })); // seq n logged at t0 + (n-1) s
    const partial = received(timed).slice(0, 3); // got 1-3
    // Closed at t0 + 8.5 s: seqs 1-4 were logged more than 5 s before, so seq 4 is lost; 5-6 may still have been on their way.
    const r = checkClient(client('j1', timed, { received: partial, outcome: 'deadline', closedAt: t0 + 8500 }), timed);
    expect(r.lost).toBe(1);
    expect(r.violations.join('\n')).toMatch(/1 of 4 events logged more than 5 s before it was closed never received \(seqs 4\)/);
    // A client that saw the terminal event is judged on the whole log.
    expect(checkClient(client('j1', timed, { received: received(timed).slice(0, 5), closedAt: t0 }), timed).lost).toBe(1);
  });

  it('counts a client that gave up (e.g. 429 on a reconnect) or hit its deadline as a failure', () => {
    const partial = received(log).slice(0, 3);
    const gaveUp = checkClient(client('j1', log, { received: partial, outcome: 'failed', failure: 'HTTP 429 on connection 2', connections: 2 }), log);
    expect(gaveUp.violations.join('\n')).toMatch(/gave up: HTTP 429 on connection 2 after 3 events, 2 connection/);
    const late = checkClient(client('j1', log, { received: partial, outcome: 'deadline' }), log);
    expect(late.violations.join('\n')).toMatch(/still waiting at its deadline/);
  });
});

describe('probe arithmetic', () => {
  const rec = (start: number, answer: CallRecord['answer']): CallRecord => ({ kind: 'probe', start, end: start + 10, answer });

  it('sums outage windows from the first failure to the next success', () => {
    const r = unavailability([rec(0, 200), rec(1000, 503), rec(1200, 'network'), rec(3000, 200), rec(4000, 500), rec(4500, 200)]);
    expect(r.windows).toEqual([
      { from: 1000, to: 3000 },
      { from: 4000, to: 4500 },
    ]);
    expect(r.seconds).toBe(2.5);
    expect(r.recovered).toBe(true);
    expect(unavailability([rec(0, 200), rec(1000, 503), rec(2000, 503)])).toEqual({ seconds: 1.01, windows: [{ from: 1000, to: 2010 }], recovered: false });
    expect(unavailability([rec(0, 200), rec(100, 200)]).seconds).toBe(0);
    expect(countAnswers([rec(0, 503), rec(1, 503), rec(2, 'network')])).toEqual({ '503': 2, network: 1 });
  });

  it('summarises seq lists', () => {
    expect(summariseSeqs([7, 1, 2, 3, 9, 10])).toBe('1-3, 7, 9-10');
  });
});

describe('BrowserEventSource (browser semantics)', () => {
  let server: http.Server;
  let base: string;
  const seen: { path: string; lastEventId?: string }[] = [];
  /** /flaky: three events then the connection drops; a reconnect with Last-Event-ID 3 gets 4-5 and the end. */
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const lastEventId = req.headers['last-event-id'] as string | undefined;
      seen.push({ path: req.url!, lastEventId });
      if (req.url === '/limited') {
        if (lastEventId) return void res.writeHead(429, { 'Retry-After': '5' }).end('{"detail":"Too many concurrent streams"}');
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('retry: 50\n\nid: 1\nevent: job.status\ndata: {"a":1}\n\n');
        return void setTimeout(() => res.destroy(), 20);
      }
      if (req.url === '/flaky') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        if (!lastEventId) {
          res.write('retry: 50\n\n');
          for (let i = 1; i <= 3; i++) res.write(`id: ${i}\nevent: llm.chunk\ndata: {"n":${i}}\n\n`);
          res.write('event: stream.mode\ndata: {"mode":"live"}\n\n');
          return void setTimeout(() => res.destroy(), 20);
        }
        for (let i = Number(lastEventId) + 1; i <= 5; i++) res.write(`id: ${i}\nevent: ${i === 5 ? 'job.status' : 'llm.chunk'}\ndata: {"n":${i}}\n\n`);
        return void res.end();
      }
      if (req.url === '/finished') return void res.writeHead(204).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('reconnects after a dropped connection with Last-Event-ID and the server-sent retry time', async () => {
    const es = new BrowserEventSource(`${base}/flaky`, { deadlineMs: 5000, closeWhen: (m) => m.event === 'job.status' });
    await es.done;
    expect(es.outcome).toBe('closed');
    expect(es.logged.map((m) => m.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(es.attempts.map((a) => a.lastEventId)).toEqual(['', '3']);
    expect(es.retryMs).toBe(50);
    expect(seen.filter((s) => s.path === '/flaky').map((s) => s.lastEventId)).toEqual([undefined, '3']);
  });

  it('gives up on a non-200 reconnect such as 429, as a browser does', async () => {
    const es = new BrowserEventSource(`${base}/limited`, { deadlineMs: 5000 });
    await es.done;
    expect(es.outcome).toBe('failed');
    expect(es.failure).toMatch(/^HTTP 429 on connection 2/);
    expect(es.attempts).toHaveLength(2);
  });

  it('stops on 204 and is bounded by its deadline', async () => {
    const done = new BrowserEventSource(`${base}/finished`, { deadlineMs: 5000 });
    await done.done;
    expect(done.failure).toMatch(/^HTTP 204/);
    const refused = new BrowserEventSource('http://127.0.0.1:9/never', { deadlineMs: 300, initialRetryMs: 50 });
    await refused.done;
    expect(refused.outcome).toBe('deadline');
    expect(refused.attempts.length).toBeGreaterThan(1);
    expect(refused.attempts[0].end).toBe('network-error');
  });
});
