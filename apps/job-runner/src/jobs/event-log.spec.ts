import { describe, expect, it } from '@jest/globals';
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
    const w = new JobEventWriter(log, 'j', 1, () => fenced++);
    const p = w.append({ type: 'llm.chunk', data: {} });
    await tick();
    releases.shift()!();
    await p;
    expect(fenced).toBe(1);
    await w.append({ type: 'llm.chunk', data: {} });
    expect(batches).toHaveLength(1);
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
