import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { Subjects, type JobEvent } from '@platform/contracts';
import { Bus } from '@platform/runtime';
import { EventLog } from '../../../apps/job-runner/src/jobs/event-log';
import { JobStore } from '../../../apps/job-runner/src/jobs/job.store';
import { jobEngine, newJob } from './job-engine.module';

/** The event log against the real Postgres and NATS: ordering, fencing and publication. */
describe('EventLog (integration)', () => {
  let module: TestingModule;
  let log: EventLog;
  let store: JobStore;
  let bus: Bus;
  let db: DataSource;
  const id = (name: string) => `it-${name}-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    module = await jobEngine();
    await module.init();
    log = module.get(EventLog);
    store = module.get(JobStore);
    bus = module.get(Bus);
    db = module.get(DataSource);
  }, 30_000);

  afterAll(async () => {
    await module?.close();
  });

  async function runningJob(jobId: string): Promise<number> {
    expect(await store.create(newJob(jobId))).not.toBeNull();
    const claimed = await log.transition({ jobId, from: ['submitted'], to: 'running', newAttempt: true });
    return claimed!.attempt;
  }

  it('assigns gap-free seqs in commit order under concurrent writers, so a tailing reader misses nothing', async () => {
    const jobId = id('concurrent');
    const attempt = await runningJob(jobId);
    const writers = Array.from({ length: 4 }, () => log.writer(jobId, attempt));
    const seen: number[] = [];
    let done = false;
    const tail = (async () => {
      let after = 0;
      while (!done || after < 1002) {
        const page = await log.read(jobId, after, 1000);
        for (const e of page) {
          seen.push(e.seq);
          after = e.seq;
        }
        if (done && page.length === 0) break;
      }
    })();
    await Promise.all(
      writers.map((w, n) => Promise.all(Array.from({ length: 250 }, (_, i) => w.append({ type: 'llm.chunk', data: { content: `${n}:${i}` } })))),
    );
    done = true;
    await tail;
    expect(seen).toEqual(Array.from({ length: 1002 }, (_, i) => i + 1));
    const all = await log.read(jobId, 0, 5000);
    // Each writer's own events stay in the order it appended them.
    for (let n = 0; n < 4; n++) {
      const mine = all.filter((e) => String(e.data.content).startsWith(`${n}:`)).map((e) => Number(String(e.data.content).split(':')[1]));
      expect(mine).toEqual(Array.from({ length: 250 }, (_, i) => i));
    }
  }, 30_000);

  it('publishes each event on the job subject after it is stored, byte-identical to the replay', async () => {
    const jobId = id('publish');
    const attempt = await runningJob(jobId);
    const live: JobEvent[] = [];
    const sub = await bus.subscribe(Subjects.jobs.live, jobId, (m) => live.push(...(Array.isArray(m) ? m : [m])));
    await (await bus.connection()).flush();
    const writer = log.writer(jobId, attempt);
    await Promise.all([1, 2, 3].map((n) => writer.append({ type: 'tool.start', data: { name: 'search', n, nested: { b: 1, a: [2] } } })));
    await writer.transition({ from: ['running'], to: 'success', report: 'done' });
    await new Promise((r) => setTimeout(r, 200));
    sub.unsubscribe();
    const stored = await log.read(jobId, 2, 100);
    expect(live.map((e) => JSON.stringify(e))).toEqual(stored.map((e) => JSON.stringify(e)));
    expect(stored.map((e) => e.type)).toEqual(['tool.start', 'tool.start', 'tool.start', 'job.status']);
  });

  it('fences a superseded run and drops writes after the terminal status', async () => {
    const jobId = id('fence');
    const first = await runningJob(jobId);
    const second = (await log.transition({ jobId, from: ['running'], to: 'running', newAttempt: true }))!.attempt;
    expect(second).toBe(first + 1);
    let fenced = false;
    const zombie = log.writer(jobId, first, { onFenced: () => (fenced = true) });
    await zombie.append({ type: 'llm.chunk', data: { content: 'late' } });
    expect(fenced).toBe(true);
    const current = log.writer(jobId, second);
    await current.append({ type: 'llm.chunk', data: { content: 'ok' } });
    await current.transition({ from: ['running'], to: 'interrupted' });
    await current.append({ type: 'llm.chunk', data: { content: 'after the end' } });
    const events = await log.read(jobId, 0, 100);
    expect(events.map((e) => e.data.content ?? e.data.status)).toEqual(['submitted', 'running', 'running', 'ok', 'interrupted']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('sets expires_at to exactly finished_at + expiry_seconds', async () => {
    const jobId = id('expiry');
    const attempt = await runningJob(jobId);
    await log.writer(jobId, attempt).transition({ from: ['running'], to: 'success', report: 'r' });
    const [row] = (await db.query(`SELECT finished_at, expires_at, expires_at - finished_at AS gap FROM job_runner.jobs WHERE id = $1`, [jobId])) as {
      finished_at: Date;
      expires_at: Date;
    }[];
    expect(row.expires_at.getTime() - row.finished_at.getTime()).toBe(600_000);
  });

  it('refuses a second job with the same id and keeps the first', async () => {
    const jobId = id('dup');
    expect(await store.create(newJob(jobId, 'alice'))).not.toBeNull();
    expect(await store.create({ ...newJob(jobId, 'bob'), input: 'other' })).toBeNull();
    const job = await store.findOwned(jobId, 'alice');
    expect(job?.input).toBe('x');
    expect(await store.findOwned(jobId, 'bob')).toBeNull();
  });

  it('inserts concurrent submissions in shared statements, each conflict decided as if submitted alone', async () => {
    const base = id('batch');
    const distinct = Array.from({ length: 300 }, (_, i) => newJob(`${base}-${i}`, `owner-${i % 3}`));
    // Issued in the same tick, so they share statements; the duplicates land in the same batch as their first.
    const sameId = [newJob(`${base}-dup`, 'alice'), { ...newJob(`${base}-dup`, 'bob'), input: 'second' }];
    const sameKey = [
      { ...newJob(`${base}-k1`, `carol-${base}`), idempotency_key: 'key-1' },
      { ...newJob(`${base}-k2`, `carol-${base}`), idempotency_key: 'key-1' },
      { ...newJob(`${base}-k3`, `dave-${base}`), idempotency_key: 'key-1' },
    ];
    const results = await Promise.all([...distinct, ...sameId, ...sameKey].map((job) => store.create(job)));
    expect(results.slice(0, 300).every((r) => r?.seq === 1 && r.type === 'job.status')).toBe(true);
    expect(results.slice(300).map((r) => r !== null)).toEqual([true, false, true, false, true]);
    expect((await store.findOwned(`${base}-dup`, 'alice'))?.input).toBe('x');
    expect(await store.findOwned(`${base}-k2`, `carol-${base}`)).toBeNull();
    const [{ jobs, events }] = (await db.query(
      `SELECT count(DISTINCT j.id)::int AS jobs, count(e.*)::int AS events
         FROM job_runner.jobs j JOIN job_runner.job_events e ON e.job_id = j.id
        WHERE j.id LIKE $1 AND e.seq = 1 AND e.type = 'job.status'`,
      [`${base}-%`],
    )) as { jobs: number; events: number }[];
    expect({ jobs, events }).toEqual({ jobs: 303, events: 303 });
  });

  it('fails only the submission Postgres refuses when it shares a statement with others', async () => {
    const base = id('bad-row');
    const good = Array.from({ length: 20 }, (_, i) => newJob(`${base}-${i}`));
    const bad = { ...newJob(`${base}-nul`), input: 'a\u0000b' }; // validation stops this before; the store must still isolate it
    const results = await Promise.allSettled([...good, bad].map((job) => store.create(job)));
    expect(results.slice(0, 20).every((r) => r.status === 'fulfilled' && r.value?.seq === 1)).toBe(true);
    expect(results[20].status).toBe('rejected');
    expect(await store.findById(`${base}-nul`)).toBeNull();
  });
});
