import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { ErrorCode, Subjects, type Principal } from '@platform/contracts';
import { Bus, BusModule, RemoteError, RequestContextStore } from '@platform/runtime';
import { startService, testEnv, type AppProcess } from '../../support/services';

/**
 * Every backend's NATS face as another service sees it. The validation pipe, the context interceptor
 * and the error filter are wired once, in bootstrapService (libs/runtime): this proves, for a subject
 * of each backend, that an invalid message gets a typed INVALID_REQUEST and that the caller's principal
 * reaches the handler (owner scoping).
 */
describe('backends over NATS: one wiring for validation, errors and the caller (integration)', () => {
  const apps: AppProcess[] = [];
  let module: TestingModule;
  let bus: Bus;
  const run = Date.now().toString(36);
  const alice: Principal = { type: 'jwt', sub: 'alice' };
  const bob: Principal = { type: 'jwt', sub: 'bob' };
  const as = <T>(principal: Principal, fn: () => Promise<T>) => RequestContextStore.run({ correlationId: `it-${run}`, principal }, fn);
  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err as RemoteError;
    }
    throw new Error('expected a failure');
  };
  const expectInvalid = async (p: Promise<unknown>) => {
    const err = await failure(p);
    expect(err).toBeInstanceOf(RemoteError);
    expect({ code: err.code, status: err.status }).toEqual({ code: ErrorCode.INVALID_REQUEST, status: 422 });
  };

  beforeAll(async () => {
    const env = testEnv({ MAX_ACTIVE_JOBS_PER_CALLER: '0', WORKER_AGENT_ENABLED: 'false' });
    apps.push(
      ...(await Promise.all([
        startService('job-runner', 18190, env),
        startService('agent-coordinator', 18192, env),
        startService('knowledge-ingestor', 18193, env),
      ])),
    );
    module = await Test.createTestingModule({ imports: [BusModule.forRoot({ url: env.NATS_URL, name: 'rpc-test', requestTimeoutMs: 5000 })] }).compile();
    await module.init();
    bus = module.get(Bus);
  }, 90_000);

  afterAll(async () => {
    await module?.close();
    await Promise.all(apps.map((a) => a.stop()));
  }, 30_000);

  describe('job-runner', () => {
    it('answers an invalid message with a typed INVALID_REQUEST error, and keeps serving', async () => {
      await expectInvalid(bus.request(Subjects.jobs.get, { job_id: 'not a valid id!' }));
      await expectInvalid(bus.request(Subjects.jobs.submit, { agent_type: 'echo', input: '', job_id: undefined } as never));
      await expectInvalid(bus.request(Subjects.jobs.events, { job_id: 'x', after: -1 } as never));
      await expectInvalid(bus.request(Subjects.jobs.get, { job_id: 'x', injected: true } as never));
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

  describe('agent-coordinator', () => {
    it('validates, and scopes an agent to the principal that registered it', async () => {
      await expectInvalid(bus.request(Subjects.coordinator.agents.get, { agent_id: '../etc' }));
      await expectInvalid(bus.request(Subjects.coordinator.agents.register, { agent_id: `a-${run}`, agent_type: 'x', injected: 1 } as never));
      const agent_id = `rpc-${run}`;
      await as(alice, () => bus.request(Subjects.coordinator.agents.register, { agent_id, agent_type: 'worker', capabilities: ['x'] }));
      expect((await as(alice, () => bus.request(Subjects.coordinator.agents.get, { agent_id }))).agent.agent_id).toBe(agent_id);
      expect((await failure(as(bob, () => bus.request(Subjects.coordinator.agents.get, { agent_id })))).code).toBe(ErrorCode.NOT_FOUND);
    });
  });

  describe('knowledge-ingestor', () => {
    it('validates, and scopes a collection to the principal that created it', async () => {
      await expectInvalid(bus.request(Subjects.knowledge.collections.get, { name: 'Not A Name!' }));
      await expectInvalid(bus.request(Subjects.knowledge.collections.create, { name: `c-${run}`, injected: 1 } as never));
      const name = `rpc-${run}`;
      await as(alice, () => bus.request(Subjects.knowledge.collections.create, { name }));
      expect((await as(alice, () => bus.request(Subjects.knowledge.collections.get, { name }))).name).toBe(name);
      expect((await failure(as(bob, () => bus.request(Subjects.knowledge.collections.get, { name })))).code).toBe(ErrorCode.NOT_FOUND);
    });
  });
});
