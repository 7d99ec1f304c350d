import { isDeepStrictEqual } from 'node:util';

/**
 * The history checker of the fault suite. Pure functions over what the event log holds (read from
 * Postgres directly) and what the clients saw, so it can be tested on planted inconsistencies
 * (test/faults/history.spec.ts) — a checker that cannot fail proves nothing.
 */

export const TERMINAL = ['success', 'failure', 'interrupted'] as const;
const isTerminalStatus = (s: unknown): boolean => (TERMINAL as readonly unknown[]).includes(s);

export interface JobRow {
  id: string;
  status: string;
  last_seq: number;
  attempt: number;
  error: string | null;
  /** Epoch ms, when known: shown with a stuck job so the timeline can be read. */
  created_at?: number;
  started_at?: number | null;
  updated_at?: number;
}

export interface LogEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  /** Epoch ms of the event's timestamp, when known. */
  ts?: number;
}

/** The log as Postgres holds it. */
export interface History {
  jobs: Map<string, JobRow>;
  events: Map<string, LogEvent[]>;
}

/** What a submit got: an HTTP status, or no answer at all. */
export type Answer = number | 'network' | 'timeout';

export interface SubmitRecord {
  jobId: string;
  answer: Answer;
}

/** What one EventSource-style client received for a job (logged events only, in arrival order). */
export interface ClientRecord {
  name: string;
  jobId: string;
  received: { id: number; type: string; data: unknown }[];
  outcome: 'open' | 'closed' | 'failed' | 'deadline';
  failure?: string;
  connections: number;
  /** Epoch ms when the client was closed; with event timestamps it bounds what it could have received. */
  closedAt?: number;
}

/**
 * A client that did not reach the terminal event is judged only on events logged at least this long
 * before it was closed: later ones may still have been on their way (a reconnect waits 3 s).
 */
export const DELIVERY_GRACE_MS = 5000;

export interface CheckOptions {
  /** A job may end `failure` (a dependency was down long enough that failing it is a valid decision). Default false. */
  allowJobFailure?: boolean;
}

export interface CheckStats {
  jobs: number;
  terminal: number;
  /** Jobs not finished (submitted/running) when the history was read. */
  stuck: string[];
  /** Jobs that needed more than one attempt. */
  retried: number;
  byStatus: Record<string, number>;
  submits: number;
  submitsOk: number;
  /** Submits without a definite answer (no response, 500, 502, 504): whether the job exists is reported, not judged. */
  submitsUnknown: number;
  /** Non-2xx submits whose job exists anyway (a false answer when the status said it does not). */
  falseFailures: string[];
  clients: number;
  clientsFailed: number;
  lostEvents: number;
  duplicateEvents: number;
  reconnects: number;
}

export interface CheckResult {
  violations: string[];
  stats: CheckStats;
}

/** A non-2xx answer that says "this job was not created": 4xx (except 408 timeout and 409 "already exists") and 503. */
export function answerDeniesCreation(a: Answer): boolean {
  return typeof a === 'number' && ((a >= 400 && a < 500 && a !== 408 && a !== 409) || a === 503);
}

export function isOk(a: Answer): boolean {
  return typeof a === 'number' && a >= 200 && a < 300;
}

/** Checks one job's log: gap-free seq from 1, `submitted` first, exactly one terminal status, last, agreeing with the job row. */
export function checkJob(row: JobRow | undefined, events: LogEvent[], opts: CheckOptions = {}): string[] {
  const id = row?.id ?? '(unknown)';
  const v: string[] = [];
  if (!row) return [`job ${id}: events without a job row`];
  for (let i = 0; i < events.length; i++) {
    if (events[i].seq !== i + 1) {
      v.push(`job ${id}: seq not gap-free from 1: position ${i + 1} holds seq ${events[i].seq} (seqs ${summariseSeqs(events.map((e) => e.seq))})`);
      break;
    }
  }
  if (events.length !== row.last_seq) v.push(`job ${id}: jobs.last_seq is ${row.last_seq} but the log holds ${events.length} events`);
  if (events.length === 0) return [...v, `job ${id}: no events at all (not even job.status submitted)`];
  const first = events[0];
  if (first.type !== 'job.status' || first.data.status !== 'submitted')
    v.push(`job ${id}: first event is ${first.type} ${JSON.stringify(first.data).slice(0, 80)}, not job.status submitted`);
  const terminals = events.filter((e) => e.type === 'job.status' && isTerminalStatus(e.data.status));
  if (terminals.length > 1)
    v.push(`job ${id}: ${terminals.length} terminal job.status events (${terminals.map((e) => `seq ${e.seq} ${String(e.data.status)}`).join(', ')})`);
  if (terminals.length === 0) {
    const last = events[events.length - 1];
    const when = [
      row.created_at ? `created ${clock(row.created_at)}` : '',
      row.started_at ? `started ${clock(row.started_at)}` : '',
      row.updated_at ? `last update ${clock(row.updated_at)}` : '',
    ].filter(Boolean);
    v.push(
      `job ${id}: stuck: status '${row.status}', attempt ${row.attempt}, no terminal job.status; last event seq ${last.seq} ${last.type}${when.length ? ` (${when.join(', ')})` : ''}`,
    );
    return v;
  }
  const terminal = terminals[terminals.length - 1];
  const last = events[events.length - 1];
  if (last !== terminals[0]) v.push(`job ${id}: events after the terminal status (terminal seq ${terminals[0].seq}, last seq ${last.seq} ${last.type})`);
  if (row.status !== terminal.data.status) v.push(`job ${id}: row status '${row.status}' but the log ends with '${String(terminal.data.status)}'`);
  if (!opts.allowJobFailure && terminal.data.status !== 'success') {
    v.push(`job ${id}: ended '${String(terminal.data.status)}'${row.error ? ` (${row.error})` : ''}, expected success`);
  }
  return v;
}

/** Checks what a client received against the log of its job: the same events, in order, each exactly once, up to the terminal one. */
export function checkClient(c: ClientRecord, log: LogEvent[] | undefined): { violations: string[]; lost: number; duplicates: number } {
  const v: string[] = [];
  const where = `client ${c.name} (job ${c.jobId})`;
  if (!log) return { violations: [`${where}: job not in the log`], lost: 0, duplicates: 0 };
  const seen = new Map<number, number>();
  let duplicates = 0;
  let outOfOrder = 0;
  let prev = 0;
  let mismatched = 0;
  let firstMismatch = '';
  const bySeq = new Map(log.map((e) => [e.seq, e]));
  for (const r of c.received) {
    seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
    if (seen.get(r.id)! > 1) duplicates++;
    else if (r.id <= prev) outOfOrder++;
    prev = Math.max(prev, r.id);
    const e = bySeq.get(r.id);
    if (!e) {
      mismatched++;
      firstMismatch ||= `seq ${r.id} is not in the log`;
    } else if (e.type !== r.type || !isDeepStrictEqual(e.data, r.data)) {
      mismatched++;
      firstMismatch ||= `seq ${r.id}: got ${r.type} ${JSON.stringify(r.data).slice(0, 100)}, log has ${e.type} ${JSON.stringify(e.data).slice(0, 100)}`;
    }
  }
  // A client that finished (terminal received) must have everything; one cut short, what was logged well before.
  const finished = c.outcome === 'closed';
  const due = finished || c.closedAt === undefined ? log : log.filter((e) => e.ts === undefined || e.ts <= c.closedAt! - DELIVERY_GRACE_MS);
  const lostSeqs = due.filter((e) => !seen.has(e.seq)).map((e) => e.seq);
  if (duplicates) v.push(`${where}: ${duplicates} duplicate event(s)`);
  if (outOfOrder) v.push(`${where}: ${outOfOrder} event(s) out of order`);
  if (mismatched) v.push(`${where}: ${mismatched} event(s) differ from the log, first: ${firstMismatch}`);
  if (lostSeqs.length) {
    const scope = due === log ? `${log.length} logged events` : `${due.length} events logged more than ${DELIVERY_GRACE_MS / 1000} s before it was closed`;
    v.push(`${where}: ${lostSeqs.length} of ${scope} never received (seqs ${summariseSeqs(lostSeqs)})`);
  }
  if (c.outcome === 'failed')
    v.push(`${where}: the EventSource gave up: ${c.failure ?? 'failed'} after ${c.received.length} events, ${c.connections} connection(s)`);
  if (c.outcome === 'deadline') v.push(`${where}: still waiting at its deadline after ${c.received.length} events, ${c.connections} connection(s)`);
  return { violations: v, lost: lostSeqs.length, duplicates };
}

/**
 * The whole history of a scenario: every job's log, every submit's answer against what exists, every
 * client against its job's log.
 */
export function checkHistory(h: History, submits: SubmitRecord[], clients: ClientRecord[], opts: CheckOptions = {}): CheckResult {
  const violations: string[] = [];
  const stats: CheckStats = {
    jobs: h.jobs.size,
    terminal: 0,
    stuck: [],
    retried: 0,
    byStatus: {},
    submits: submits.length,
    submitsOk: 0,
    submitsUnknown: 0,
    falseFailures: [],
    clients: clients.length,
    clientsFailed: 0,
    lostEvents: 0,
    duplicateEvents: 0,
    reconnects: 0,
  };
  for (const [id, row] of h.jobs) {
    const events = h.events.get(id) ?? [];
    violations.push(...checkJob(row, events, opts));
    stats.byStatus[row.status] = (stats.byStatus[row.status] ?? 0) + 1;
    if (isTerminalStatus(row.status)) stats.terminal++;
    else stats.stuck.push(id);
    if (row.attempt > 1) stats.retried++;
  }
  for (const id of h.events.keys()) if (!h.jobs.has(id)) violations.push(`job ${id}: events without a job row`);

  const byJob = new Map<string, SubmitRecord[]>();
  for (const s of submits) byJob.set(s.jobId, [...(byJob.get(s.jobId) ?? []), s]);
  for (const [jobId, list] of byJob) {
    const exists = h.jobs.has(jobId);
    const ok = list.filter((s) => isOk(s.answer));
    if (ok.length) stats.submitsOk++;
    if (ok.length && !exists) violations.push(`submit ${jobId}: answered ${ok[0].answer} but no such job exists`);
    for (const s of list.filter((x) => !isOk(x.answer))) {
      if (answerDeniesCreation(s.answer)) {
        if (exists && ok.length === 0) {
          const row = h.jobs.get(jobId)!;
          stats.falseFailures.push(jobId);
          violations.push(
            `submit ${jobId}: answered ${s.answer} but the job was created (status '${row.status}', ${h.events.get(jobId)?.length ?? 0} events): a client that retries gets a duplicate`,
          );
        }
      } else {
        stats.submitsUnknown++;
      }
    }
  }
  for (const id of h.jobs.keys()) if (!byJob.has(id)) violations.push(`job ${id}: exists but nobody submitted it`);

  for (const c of clients) {
    const r = checkClient(c, h.events.get(c.jobId));
    violations.push(...r.violations);
    stats.lostEvents += r.lost;
    stats.duplicateEvents += r.duplicates;
    stats.reconnects += Math.max(0, c.connections - 1);
    if (r.violations.length) stats.clientsFailed++;
  }
  return { violations, stats };
}

/** "1-4, 7, 9-12" */
export function summariseSeqs(seqs: number[], max = 8): string {
  const sorted = [...seqs].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges.length > max ? `${ranges.slice(0, max).join(', ')}, … (${ranges.length} runs)` : ranges.join(', ');
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/**
 * Reads the history of every job whose id starts with `prefix` (schema job_runner, see its
 * migration) in ONE statement, so rows and events come from the same snapshot even while a job is
 * still being written.
 */
export async function loadHistory(
  query: <T extends Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>,
  prefix: string,
): Promise<History> {
  const like = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await query<{
    id: string;
    status: string;
    last_seq: string;
    attempt: number;
    error: string | null;
    created_at: Date;
    started_at: Date | null;
    updated_at: Date;
    seq: string | null;
    type: string | null;
    ts: Date | null;
    data: Record<string, unknown> | null;
  }>(
    `SELECT j.id, j.status, j.last_seq, j.attempt, j.error, j.created_at, j.started_at, j.updated_at, e.seq, e.type, e.ts, e.data
       FROM job_runner.jobs j LEFT JOIN job_runner.job_events e ON e.job_id = j.id
      WHERE j.id LIKE $1 ORDER BY j.id, e.seq`,
    [like],
  );
  const h: History = { jobs: new Map(), events: new Map() };
  for (const r of rows) {
    if (!h.jobs.has(r.id)) {
      h.jobs.set(r.id, {
        id: r.id,
        status: r.status,
        last_seq: Number(r.last_seq),
        attempt: r.attempt,
        error: r.error,
        created_at: new Date(r.created_at).getTime(),
        started_at: r.started_at ? new Date(r.started_at).getTime() : null,
        updated_at: new Date(r.updated_at).getTime(),
      });
      h.events.set(r.id, []);
    }
    if (r.seq !== null) h.events.get(r.id)!.push({ seq: Number(r.seq), type: r.type!, data: r.data!, ts: r.ts ? new Date(r.ts).getTime() : undefined });
  }
  return h;
}
