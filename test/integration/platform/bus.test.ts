import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { Subjects, subjectFor, type JobEvent, type TaskDelivery } from '@platform/contracts';
import { Bus, BusModule } from '@platform/runtime';
import { testEnv } from '../../support/services';

/** The bus's typed publish/subscribe and addressed request/reply against a real NATS: malformed messages never reach a handler. */
describe('Bus (integration)', () => {
  let module: TestingModule;
  let bus: Bus;
  const run = Date.now().toString(36);
  const at = new Date().toISOString();
  const event = (seq: number): JobEvent => ({ seq, type: 'llm.chunk', timestamp: at, data: { chunk: `t${seq}` } });

  beforeAll(async () => {
    module = await Test.createTestingModule({ imports: [BusModule.forRoot({ url: testEnv().NATS_URL, name: 'bus-test', requestTimeoutMs: 2000 })] }).compile();
    await module.init();
    bus = module.get(Bus);
  });
  afterAll(() => module?.close());

  it('delivers well-formed events and drops malformed ones (bad JSON, wrong shape) without calling the handler', async () => {
    const jobId = `bus-${run}`;
    const got: unknown[] = [];
    const sub = await bus.subscribe(Subjects.jobs.live, jobId, (payload) => got.push(payload));
    const nc = await bus.connection();
    const raw = (data: string) => nc.publish(subjectFor(Subjects.jobs.live, jobId), new TextEncoder().encode(data));
    raw('{not json');
    raw(JSON.stringify({ seq: 'one', type: 'x' }));
    raw(JSON.stringify([event(1), { hello: 1 }]));
    await bus.publish(Subjects.jobs.live, jobId, event(2));
    await bus.publish(Subjects.jobs.live, jobId, [event(3), event(4)]);
    await nc.flush();
    await new Promise((r) => setTimeout(r, 100));
    sub.unsubscribe();
    expect(got).toEqual([event(2), [event(3), event(4)]]);
  });

  it('answers an addressed request from the one process serving that address, and a throwing handler with its error reply', async () => {
    const address = `worker.${run}`; // '.' is not a token separator here: subjectFor neutralises it
    const sub = await bus.serveAt(
      Subjects.coordinator.deliver,
      address,
      (d) => {
        if (d.task_data.fail) throw new Error('cannot take it');
        return { accepted: true };
      },
      (err) => ({ accepted: false, error: err.message }),
    );
    const delivery = (task_data: Record<string, unknown>): TaskDelivery => ({
      task_id: 't',
      agent_id: address,
      token: 'k',
      attempt: 1,
      priority: 'normal',
      task_data,
      requirements: {},
      submitted_at: new Date().toISOString(),
    });
    expect(await bus.requestAt(Subjects.coordinator.deliver, address, delivery({}), 2000)).toEqual({ accepted: true });
    expect(await bus.requestAt(Subjects.coordinator.deliver, address, delivery({ fail: true }), 2000)).toEqual({ accepted: false, error: 'cannot take it' });
    // A malformed request is dropped: the requester times out instead of the handler seeing garbage.
    await expect(bus.requestAt(Subjects.coordinator.deliver, address, { task_id: 1 } as never, 300)).rejects.toThrow();
    sub.unsubscribe();
  });

  it('retries a read once when its first attempt gets no reply (a replica died holding it), never a command', async () => {
    // A stand-in replica speaking Nest's NATS envelope: it swallows the first request of each subject, answers the rest.
    const nc = await bus.connection();
    const seen = new Map<string, number>();
    const sub = nc.subscribe('jobs.*', {
      queue: `bus-test-${run}`,
      callback: (_err, msg) => {
        const n = (seen.get(msg.subject) ?? 0) + 1;
        seen.set(msg.subject, n);
        if (n === 1 || !msg.reply) return;
        const { id } = JSON.parse(new TextDecoder().decode(msg.data)) as { id: string };
        msg.respond(new TextEncoder().encode(JSON.stringify({ id, response: { job_id: 'j', status: 'interrupted' }, isDisposed: true })));
      },
    });
    await nc.flush();
    const started = Date.now();
    expect(await bus.request(Subjects.jobs.get, { job_id: 'j' }, 2000)).toMatchObject({ job_id: 'j' });
    expect(seen.get('jobs.get')).toBe(2);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(bus.request(Subjects.jobs.cancel, { job_id: 'j' }, 1000)).rejects.toMatchObject({ code: 'TIMEOUT', status: 504 });
    expect(seen.get('jobs.cancel')).toBe(1);
    // A command its receiver recognises when repeated (a submit with its job_id) gets the second attempt too.
    await bus.request(Subjects.jobs.submit, { agent_type: 'echo', input: 'x', job_id: 'j' }, 2000, { idempotent: true });
    expect(seen.get('jobs.submit')).toBe(2);
    sub.unsubscribe();
  });
  it('does not retry a read that a replica answered with an error (a 503 while Postgres is down stays one fast answer)', async () => {
    const nc = await bus.connection();
    let seen = 0;
    const sub = nc.subscribe('jobs.get', {
      queue: `bus-test-503-${run}`,
      callback: (_err, msg) => {
        seen++;
        const { id } = JSON.parse(new TextDecoder().decode(msg.data)) as { id: string };
        const err = { code: 'SERVICE_UNAVAILABLE', status: 503, message: 'A dependency is unavailable; retry shortly' };
        msg.respond(new TextEncoder().encode(JSON.stringify({ id, err, isDisposed: true })));
      },
    });
    await nc.flush();
    await expect(bus.request(Subjects.jobs.get, { job_id: 'j' }, 2000)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    expect(seen).toBe(1);
    sub.unsubscribe();
  });
});
