import type { ServiceDatabase } from '@platform/runtime';

/** The knowledge schema: owned by knowledge-ingestor alone. */
export const database: ServiceDatabase = {
  schema: 'knowledge',
  entities: [],
  migrations: [],
};
