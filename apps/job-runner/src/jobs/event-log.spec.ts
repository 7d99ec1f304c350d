import { describe, expect, it, jest } from '@jest/globals';
import { boundedData, EventLog, JobEventWriter, MAX_EVENT_BYTES } from './event-log';

type Batch = { type: string; data: unknown }[];

/** An EventLog whose inserts we control: each call waits for the test to release it. */
function controlledLog(accept = true) {
  const batches: Batch[] = [];
  const releases: (() => void)[] = [];
  const log = {
    insert: (_id: string, _attempt: number, events: Batch) => {
      batches.push(events);
      return new Promise((resolve) => releases.push(() => resolve(accept ? events.map((e, i) => ({ ...e, seq: i + 1 })) : [])));
    },
    transition: (t: unknown) => {
      batches.push([{ type: 'transition', data: t }]);
      return Promise.resolve({ event: {}, attempt: 1 });
    },
  } as unknown as EventLog;
  return { log, batches, releases };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('JobEventWriter', () => {
  it('batches appends made while a write is in flight, preserving order', async () => {
    const { log, batches, releases } = controlledLog();
    const w = new JobEventWriter(log, 'j', 1);
    const first = w.append({ type: 'llm.chunk', data: { n: 0 } });
    await tick();
    const rest = [1, 2, 3].map((n) => w.append({ type: 'llm.chunk', data: { n } }));
    expect(batches).toHaveLength(1);
    releases.shift()!();
    await first;
    await tick();
    expect(batches).toHaveLength(2);
    expect(batches[1].map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    releases.shift()!();
    await Promise.all(rest);
  });

  it('runs a transition only after everything appended before it', async () => {
    const { log, batches, releases } = controlledLog();
    const w = new JobEventWriter(log, 'j', 1);
    void w.append({ type: 'llm.chunk', data: {} });
    const t = w.transition({ from: ['running'], to: 'success' });
    await tick();
    expect(batches.map((b) => b[0].type)).toEqual(['llm.chunk']);
    releases.shift()!();
    await t;
    expect(batches.map((b) => b[0].type)).toEqual(['llm.chunk', 'transition']);
  });

  it('stops a fenced run: calls back once and drops later appends', async () => {
    const { log, batches, releases } = controlledLog(false);
    let fenced = 0;
    const w = new JobEventWriter(log, 'j', 1, { onFenced: () => fenced++ });
    const p = w.append({ type: 'llm.chunk', data: {} });
    await tick();
    releases.shift()!();
    await p;
    expect(fenced).toBe(1);
    await w.append({ type: 'llm.chunk', data: {} });
    expect(batches).toHaveLength(1);
  });
});

const unavailable = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

/** An EventLog whose inserts fail `failures` times with a dependency error, then succeed; `committed` makes the failed tries commit anyway. */
function flakyLog(failures: number, opts: { committed?: boolean; startSeq?: number } = {}) {
  let lastSeq = opts.startSeq ?? 2;
  const inserts: number[] = [];
  const log = {
    insert: async (_id: string, _attempt: number, events: Batch) => {
      inserts.push(events.length);
      if (inserts.length <= failures) {
        if (opts.committed) lastSeq += events.length;
        throw unavailable();
      }
      const first = lastSeq + 1;
      lastSeq += events.length;
      return events.map((e, i) => ({ ...e, seq: first + i }));
    },
    position: async () => ({ status: 'running', attempt: 1, last_seq: lastSeq }),
    transition: async () => ({ event: { seq: ++lastSeq }, attempt: 1 }),
  } as unknown as EventLog;
  return { log, inserts, lastSeq: () => lastSeq };
}

describe('JobEventWriter when Postgres is unavailable', () => {
  it('retries the write until it succeeds, and loses nothing appended meanwhile', async () => {
    const { log, inserts, lastSeq } = flakyLog(2);
    const w = new JobEventWriter(log, 'j', 1, { lastSeq: 2, retryMs: 10_000 });
    await Promise.all([0, 1, 2].map((n) => w.append({ type: 'llm.chunk', data: { n } })));
    expect(inserts).toEqual([3, 3, 3]);
    expect(lastSeq()).toBe(5);
    expect(w.unavailable).toBeUndefined();
  });

  it('does not log a batch twice when the failed try had committed', async () => {
    const { log, inserts, lastSeq } = flakyLog(1, { committed: true });
    const w = new JobEventWriter(log, 'j', 1, { lastSeq: 2, retryMs: 10_000 });
    await w.append({ type: 'llm.chunk', data: {} });
    expect(inserts).toEqual([1]);
    expect(lastSeq()).toBe(3);
  });

  it('gives up after retryMs: the appends reject and onUnavailable tells the run to hand its job back', async () => {
    const { log } = flakyLog(1000);
    const onUnavailable = jest.fn();
    const w = new JobEventWriter(log, 'j', 1, { lastSeq: 2, retryMs: 250, onUnavailable });
    await expect(w.append({ type: 'llm.chunk', data: {} })).rejects.toThrow('terminating connection');
    expect(onUnavailable).toHaveBeenCalledTimes(1);
    expect(w.unavailable?.message).toMatch('terminating connection');
  });

  it('fails at once on an error that is not a dependency outage', async () => {
    const log = { insert: jest.fn(async () => Promise.reject(new Error('invalid input syntax for type json'))) } as unknown as EventLog;
    const w = new JobEventWriter(log, 'j', 1, { retryMs: 10_000 });
    await expect(w.append({ type: 'llm.chunk', data: {} })).rejects.toThrow('invalid input');
    expect(w.unavailable).toBeUndefined();
  });

  it('stops retrying and writes nothing more once abandoned; pending appends resolve', async () => {
    const { log, inserts } = flakyLog(1000);
    const w = new JobEventWriter(log, 'j', 1, { lastSeq: 2, retryMs: 60_000 });
    const first = w.append({ type: 'llm.chunk', data: {} });
    const queued = w.append({ type: 'llm.chunk', data: {} });
    await new Promise((r) => setTimeout(r, 150));
    w.abandon();
    await expect(Promise.all([first, queued])).resolves.toBeDefined();
    await w.flush();
    const tried = inserts.length;
    expect(await w.transition({ from: ['running'], to: 'success' })).toBeNull();
    await w.append({ type: 'llm.chunk', data: {} });
    expect(inserts.length).toBe(tried);
  });
});

describe('EventLog', () => {
  it('reports a committed write as written even when its live publish fails', async () => {
    const db = { query: async () => [{ seq: '7' }] };
    const bus = { publish: async () => Promise.reject(new Error('CONNECTION_CLOSED')) };
    const log = new EventLog(db as never, bus as never);
    const written = await log.insert('j', 1, [{ type: 'llm.chunk', timestamp: new Date().toISOString(), data: {} }]);
    expect(written.map((e) => e.seq)).toEqual([7]);
  });
});

describe('boundedData', () => {
  it('keeps small payloads and truncates oversized ones', () => {
    expect(boundedData({ a: 1 })).toEqual({ a: 1 });
    const big = boundedData({ text: 'x'.repeat(MAX_EVENT_BYTES) });
    expect(big.truncated).toBe(true);
    expect(JSON.stringify(big).length).toBeLessThan(MAX_EVENT_BYTES);
  });
});
