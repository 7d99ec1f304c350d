import type { ServiceDatabase } from '@platform/runtime';

/** The coordinator schema: owned by agent-coordinator alone. */
export const database: ServiceDatabase = {
  schema: 'coordinator',
  entities: [],
  migrations: [],
};
