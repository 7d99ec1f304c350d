import type { ServiceDatabase } from '@platform/runtime';
import { CreateCoordinator1732400000000 } from './migrations/1732400000000-create-coordinator';
import { AgentEntity } from './registry/agent.entity';
import { AssignmentEntity, TaskEntity } from './tasks/task.entity';

/** The coordinator schema: agents, tasks (the priority queues) and assignments. Owned by agent-coordinator alone. */
export const database: ServiceDatabase = {
  schema: 'coordinator',
  entities: [AgentEntity, TaskEntity, AssignmentEntity],
  migrations: [CreateCoordinator1732400000000],
};
