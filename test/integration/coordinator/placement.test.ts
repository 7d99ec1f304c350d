import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type EntityManager } from 'typeorm';
import { dataSourceOptions, runMigrations } from '@platform/runtime';
import { CoordinatorConfig } from '../../../apps/agent-coordinator/src/config';
import { database } from '../../../apps/agent-coordinator/src/database';
import { candidateOf, heartbeatLimitSecs } from '../../../apps/agent-coordinator/src/registry/agent-row';
import { AgentRepository } from '../../../apps/agent-coordinator/src/registry/agent.repository';
import { canTake } from '../../../apps/agent-coordinator/src/tasks/placement';
import { PLACEMENT_CASES, type PlacementCase } from '../../../apps/agent-coordinator/src/tasks/placement.cases';
import { TaskRepository } from '../../../apps/agent-coordinator/src/tasks/task.repository';
import { testEnv } from '../../support/services';

/**
 * "Which agent may take this task" on the real Postgres, over the cases placement.spec.ts gives
 * `canTake`: the claim query (TaskRepository.claimQueued) and the live-agent query
 * (AgentRepository.live) followed by `canTake`, as the dispatcher runs them.
 *
 * Each case runs in a transaction that is rolled back, so a coordinator of another suite on this
 * database never sees its rows; and each case adds a capability of its own to the agent and to the
 * task's requirements, so no agent of another suite can take its task. (The claim may lock another
 * suite's waiting task for the milliseconds before the rollback: that dispatcher skips it one round.)
 */
describe('placement rule in SQL and in canTake, one table of cases (integration)', () => {
  let db: DataSource;
  let agents: AgentRepository;
  let tasks: TaskRepository;
  const config = new CoordinatorConfig();
  const limitSecs = heartbeatLimitSecs(config);
  const run = Date.now().toString(36);

  beforeAll(async () => {
    const url = testEnv().DATABASE_URL;
    await runMigrations(url, database);
    db = new DataSource(dataSourceOptions(url, 2, database));
    await db.initialize();
    agents = new AgentRepository(db);
    tasks = new TaskRepository(db);
  }, 30_000);

  afterAll(() => db?.destroy());

  async function insertAgent(tx: EntityManager, id: string, c: PlacementCase, capabilities: string[]): Promise<void> {
    const a = c.agent;
    await tx.query(
      `INSERT INTO coordinator.agents (agent_id, owner, shared, agent_type, status, capabilities, endpoints, metadata, last_heartbeat, registration_time, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() - make_interval(secs => $9), now(), now())`,
      [
        id,
        a.owner,
        a.shared,
        a.agent_type,
        a.status,
        capabilities,
        JSON.stringify(a.endpoints),
        JSON.stringify(a.max_concurrent_tasks === undefined ? {} : { max_concurrent_tasks: a.max_concurrent_tasks }),
        a.heard_recently ? 0 : limitSecs + 60,
      ],
    );
  }

  async function insertTask(tx: EntityManager, owner: string, requirements: object, held?: { agentId: string }): Promise<string> {
    const id = randomUUID();
    await tx.query(
      `INSERT INTO coordinator.tasks (task_id, owner, priority, priority_rank, status, task_data, requirements, max_attempts, agent_id, token)
       VALUES ($1, $2, 'urgent', 0, $3, '{}', $4, 3, $5, $6)`,
      [id, owner, held ? 'assigned' : 'queued', JSON.stringify(requirements), held?.agentId ?? null, held ? randomBytes(18).toString('base64url') : null],
    );
    return id;
  }

  /** Sets the case up in a transaction, asks both queries, and rolls everything back. */
  async function judge(c: PlacementCase, n: number): Promise<{ claimed: boolean; mayTake: boolean }> {
    const own = `only-${run}-${n}`;
    const agentId = `placement-${run}-${n}`;
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const tx = runner.manager;
      await insertAgent(tx, agentId, c, [...c.agent.capabilities, own]);
      for (let i = 0; i < c.agent.active_tasks; i++) await insertTask(tx, c.agent.owner, {}, { agentId });
      const requirements = { ...c.task.requirements, capabilities: [...(c.task.requirements.capabilities ?? []), own] };
      const taskId = await insertTask(tx, c.task.owner, requirements);

      const claimed = (await tasks.claimQueued(tx, 10_000, limitSecs)).some((t) => t.task_id === taskId);
      const row = (await agents.live(tx, limitSecs)).find((r) => r.agent_id === agentId);
      const mayTake = row !== undefined && canTake(candidateOf(row, new Date(), config), { owner: c.task.owner, requirements });
      return { claimed, mayTake };
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }

  it.each(PLACEMENT_CASES.map((c, n) => [c.name, c, n] as const))('%s', async (_name, c, n) => {
    expect(await judge(c, n)).toEqual({ claimed: c.claimed, mayTake: c.mayTake });
  });
});
