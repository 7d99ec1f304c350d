import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { ErrorCode, Subjects, type Principal } from '@platform/contracts';
import { Bus, BusModule, RemoteError, RequestContextStore } from '@platform/runtime';
import { startService, testEnv, type AppProcess } from '../../support/services';

/** job-runner's NATS face as another service sees it: typed validation errors and owner scoping. */
describe('job-runner over NATS (integration)', () => {
  let runner: AppProcess;
  let module: TestingModule;
  let bus: Bus;
  const alice: Principal = { type: 'jwt', sub: 'alice' };
  const bob: Principal = { type: 'jwt', sub: 'bob' };
  const as = <T>(principal: Principal, fn: () => Promise<T>) => RequestContextStore.run({ correlationId: `it-${Date.now()}`, principal }, fn);
  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err as RemoteError;
    }
    throw new Error('expected a failure');
  };

  beforeAll(async () => {
    const env = testEnv({ MAX_ACTIVE_JOBS_PER_CALLER: '0' });
    runner = await startService('job-runner', 18190, env);
    module = await Test.createTestingModule({ imports: [BusModule.forRoot({ url: env.NATS_URL, name: 'rpc-test', requestTimeoutMs: 5000 })] }).compile();
    await module.init();
    bus = module.get(Bus);
  }, 60_000);

  afterAll(async () => {
    await module?.close();
    await runner?.stop();
  }, 30_000);

  it('answers an invalid message with a typed INVALID_REQUEST error, and keeps serving', async () => {
    const bad = [
      bus.request(Subjects.jobs.get, { job_id: 'not a valid id!' }),
      bus.request(Subjects.jobs.submit, { agent_type: 'echo', input: '', job_id: undefined } as never),
      bus.request(Subjects.jobs.events, { job_id: 'x', after: -1 } as never),
      bus.request(Subjects.jobs.get, { job_id: 'x', injected: true } as never),
    ];
    for (const p of bad) {
      const err = await failure(p);
      expect(err).toBeInstanceOf(RemoteError);
      expect({ code: err.code, status: err.status }).toEqual({ code: ErrorCode.INVALID_REQUEST, status: 422 });
    }
    expect((await bus.request(Subjects.jobs.agents, {})).agents.length).toBeGreaterThan(0);
  });

  it('scopes every job command to the principal in the message headers', async () => {
    const { job_id } = await as(alice, () => bus.request(Subjects.jobs.submit, { agent_type: 'echo', input: 'mine' }));
    expect((await as(alice, () => bus.request(Subjects.jobs.get, { job_id }))).job_id).toBe(job_id);
    for (const subject of [Subjects.jobs.get, Subjects.jobs.report, Subjects.jobs.state, Subjects.jobs.cancel] as const) {
      const err = await failure(as(bob, () => bus.request(subject, { job_id })));
      expect({ subject, code: err.code }).toEqual({ subject, code: ErrorCode.NOT_FOUND });
    }
    const err = await failure(as(bob, () => bus.request(Subjects.jobs.events, { job_id, after: 0 })));
    expect(err.status).toBe(404);
    // Anonymous callers are a space of their own too.
    expect((await failure(bus.request(Subjects.jobs.get, { job_id }))).status).toBe(404);
  });
});
