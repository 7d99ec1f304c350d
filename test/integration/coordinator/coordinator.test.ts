import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { subjectFor, type Principal, type RpcRequest, type RpcSubject, type TaskDelivery, Subjects } from '@platform/contracts';
import { Bus, BusModule, RemoteError, RequestContextStore } from '@platform/runtime';
import { eventually } from '../../support/http';
import { startService, testEnv, type AppProcess } from '../../support/services';

/**
 * The coordinator process on the real Postgres and NATS, driven over NATS as different principals:
 * ownership, delivery to a NATS worker, result fencing, retries on another agent, the stale sweep.
 */
describe('agent-coordinator over NATS (integration)', () => {
  let coordinator: AppProcess;
  let ctx: INestApplicationContext;
  let bus: Bus;
  const subs: Subscription[] = [];
  const run = Math.random().toString(36).slice(2, 8);
  const alice: Principal = { type: 'jwt', sub: `alice-${run}` };
  const bob: Principal = { type: 'jwt', sub: `bob-${run}` };
  const worker: Principal = { type: 'service', sub: 'it-worker' };

  beforeAll(async () => {
    const env = testEnv({
      COORDINATOR_HEARTBEAT_INTERVAL_MS: '600',
      COORDINATOR_HEARTBEAT_TOLERANCE: '2',
      COORDINATOR_SWEEP_INTERVAL_MS: '200',
      COORDINATOR_DISPATCH_INTERVAL_MS: '200',
      COORDINATOR_TASK_MAX_ATTEMPTS: '2',
      COORDINATOR_DELIVERY_TIMEOUT_MS: '1000',
    });
    coordinator = await startService('agent-coordinator', 18252, env);
    ctx = await NestFactory.createApplicationContext(
      BusModule.forRoot({
        url: env.NATS_URL,
        name: 'coordinator-it',
        requestTimeoutMs: 5000,
      }),
      { logger: false },
    );
    bus = ctx.get(Bus);
  }, 90_000);

  afterAll(async () => {
    subs.forEach((s) => s.unsubscribe());
    await ctx?.close();
    await coordinator?.stop();
  }, 30_000);

  const as = <S extends RpcSubject>(who: Principal, subject: S, data: RpcRequest<S>) =>
    RequestContextStore.run({ correlationId: randomUUID(), principal: who }, () => bus.request(subject, data));
  const status = async (p: Promise<unknown>) => {
    try {
      await p;
      return 200;
    } catch (err) {
      return (err as RemoteError).status;
    }
  };
  /** A NATS worker agent that answers each delivery with `answer(delivery)`. */
  async function natsWorker(agentId: string, answer: (d: TaskDelivery) => unknown, capabilities = ['echo']) {
    const received: TaskDelivery[] = [];
    const nc = await bus.connection();
    subs.push(
      nc.subscribe(subjectFor(Subjects.coordinator.deliver, agentId), {
        callback: (_err, msg) => {
          const d = JSON.parse(new TextDecoder().decode(msg.data)) as TaskDelivery;
          received.push(d);
          msg.respond(new TextEncoder().encode(JSON.stringify(answer(d))));
        },
      }),
    );
    await nc.flush();
    await as(worker, Subjects.coordinator.agents.register, {
      agent_id: agentId,
      agent_type: 'worker',
      capabilities,
      endpoints: { nats: subjectFor(Subjects.coordinator.deliver, agentId) },
    });
    return received;
  }
  const task = (who: Principal, id: string) => as(who, Subjects.coordinator.tasks.get, { task_id: id }).then((r) => r.task);

  it('keeps agents and tasks to their owner: another caller gets 404 (409 on a taken agent id)', async () => {
    const id = `owned-${run}`;
    await as(alice, Subjects.coordinator.agents.register, {
      agent_id: id,
      agent_type: 'worker',
      capabilities: ['x'],
    });
    expect((await as(alice, Subjects.coordinator.agents.get, { agent_id: id })).agent.agent_id).toBe(id);
    expect(await status(as(bob, Subjects.coordinator.agents.get, { agent_id: id }))).toBe(404);
    expect(await status(as(bob, Subjects.coordinator.agents.heartbeat, { agent_id: id }))).toBe(404);
    expect(
      await status(
        as(bob, Subjects.coordinator.agents.status, {
          agent_id: id,
          status: 'busy',
        }),
      ),
    ).toBe(404);
    expect(await status(as(bob, Subjects.coordinator.agents.deregister, { agent_id: id }))).toBe(404);
    expect(
      await status(
        as(bob, Subjects.coordinator.agents.register, {
          agent_id: id,
          agent_type: 'worker',
        }),
      ),
    ).toBe(409);
    const found = await as(bob, Subjects.coordinator.agents.discover, {
      capabilities: ['x'],
    });
    expect(found.agents.map((a) => a.agent_id)).not.toContain(id);

    const submitted = await as(alice, Subjects.coordinator.tasks.submit, {
      task_data: { prompt: 'p' },
      priority: 'low',
      requirements: { capabilities: [`none-${run}`] },
    });
    expect(await status(as(bob, Subjects.coordinator.tasks.get, { task_id: submitted.task_id }))).toBe(404);
    expect((await as(bob, Subjects.coordinator.tasks.queues, {})).queue_sizes.low).toBe(0);
    expect((await as(alice, Subjects.coordinator.tasks.queues, {})).queue_sizes.low).toBe(1);
    expect((await as(bob, Subjects.coordinator.tasks.clear, { priority: 'low' })).cleared).toBe(0);
    expect((await as(alice, Subjects.coordinator.tasks.clear, { priority: 'low' })).cleared).toBe(1);
    expect((await task(alice, submitted.task_id)).status).toBe('cancelled');
  });

  it('rejects an invalid priority with 400 and a foreign NATS subject with 422', async () => {
    const err = await as(alice, Subjects.coordinator.tasks.submit, {
      task_data: {},
      priority: 'asap',
    }).catch((e: RemoteError) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).status).toBe(400);
    expect((err as RemoteError).message).toBe('Invalid priority: asap');
    expect(
      await status(
        as(worker, Subjects.coordinator.agents.register, {
          agent_id: `evil-${run}`,
          agent_type: 'worker',
          endpoints: { nats: 'jobs.submit' },
        }),
      ),
    ).toBe(422);
  });

  it("delivers to a shared worker on NATS with the owner's principal and accepts only the delivery's token", async () => {
    const cap = `nats-${run}`;
    const received = await natsWorker(`w1-${run}`, () => ({ accepted: true }), [cap]);
    const { task_id } = await as(alice, Subjects.coordinator.tasks.submit, {
      task_data: { task_type: 'echo', prompt: 'hi' },
      priority: 'high',
      requirements: { capabilities: [cap] },
    });
    await eventually(async () => received.length === 1, 5000);
    const d = received[0];
    expect(d).toMatchObject({
      task_id,
      agent_id: `w1-${run}`,
      attempt: 1,
      priority: 'high',
      task_data: { task_type: 'echo', prompt: 'hi' },
    });
    expect(d.principal).toMatchObject(alice);
    expect((await task(alice, task_id)).status).toBe('assigned');

    const report = (token: string, agent_id = d.agent_id) =>
      as(worker, Subjects.coordinator.tasks.result, {
        task_id,
        agent_id,
        token,
        status: 'completed',
        result: { report: 'done' },
      });
    expect(await status(report('x'.repeat(24)))).toBe(409);
    expect(await status(report(d.token, `other-${run}`))).toBe(409);
    const ok = await report(d.token);
    expect(ok).toMatchObject({ accepted: true, task_status: 'completed' });
    expect(await status(report(d.token))).toBe(409); // a second report changes nothing
    const done = await task(alice, task_id);
    expect(done).toMatchObject({
      status: 'completed',
      assigned_agent: `w1-${run}`,
      attempts: 1,
      result: { report: 'done' },
      error: null,
    });
    expect(done.distribution_time).toBeGreaterThanOrEqual(0);
  });

  it('moves a failed task to another agent, then fails it after the configured attempts', async () => {
    const cap = `retry-${run}`;
    const a = await natsWorker(`ra-${run}`, () => ({ status: 'failed', error: 'nope' }), [cap]);
    const b = await natsWorker(`rb-${run}`, () => ({ status: 'failed', error: 'nope' }), [cap]);
    const { task_id } = await as(alice, Subjects.coordinator.tasks.submit, {
      task_data: { x: 1 },
      priority: 'normal',
      requirements: { capabilities: [cap] },
    });
    const failed = await eventually(async () => {
      const t = await task(alice, task_id);
      return t.status === 'failed' ? t : null;
    }, 8000);
    expect(failed.attempts).toBe(2);
    expect(failed.error).toMatch(/Failed after 2 attempt\(s\): nope/);
    expect(
      [...a, ...b]
        .filter((d) => d.task_id === task_id)
        .map((d) => d.agent_id)
        .sort(),
    ).toEqual([`ra-${run}`, `rb-${run}`]);
    const stats = (await as(alice, Subjects.coordinator.tasks.status, {})).stats;
    expect(stats.load_balancer_stats.failed_assignments).toBeGreaterThanOrEqual(2);
    expect(stats.tasks_failed).toBeGreaterThanOrEqual(1);
  });

  it('sweeps an agent that stops heartbeating to stale, takes its task back, and a heartbeat revives it', async () => {
    const cap = `stale-${run}`;
    const id = `st-${run}`;
    const received = await natsWorker(id, () => ({ accepted: true }), [cap]);
    const { task_id } = await as(alice, Subjects.coordinator.tasks.submit, {
      task_data: {},
      priority: 'urgent',
      requirements: { capabilities: [cap] },
    });
    await eventually(async () => received.length === 1, 5000);
    // No heartbeats: stale after 600 ms × 2, and the task goes back to its queue.
    await eventually(async () => (await as(worker, Subjects.coordinator.agents.get, { agent_id: id })).agent.status === 'stale', 5000);
    expect((await as(worker, Subjects.coordinator.agents.get, { agent_id: id })).agent.health_score).toBe(0);
    await eventually(async () => (await task(alice, task_id)).status === 'queued', 5000);
    expect((await as(alice, Subjects.coordinator.tasks.queues, {})).queue_sizes.urgent).toBeGreaterThanOrEqual(1);
    const beat = await as(worker, Subjects.coordinator.agents.heartbeat, {
      agent_id: id,
      load_metrics: { cpu_usage: 10 },
    });
    expect(beat.agent_status).toBe('active');
    await eventually(async () => received.length === 2, 5000);
    expect(received[1]).toMatchObject({ task_id, attempt: 2 });
    expect(received[1].token).not.toBe(received[0].token);
    await as(worker, Subjects.coordinator.tasks.result, {
      task_id,
      agent_id: id,
      token: received[1].token,
      status: 'completed',
    });
    expect((await task(alice, task_id)).status).toBe('completed');
  });
});
