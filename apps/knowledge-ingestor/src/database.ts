import type { ServiceDatabase } from '@platform/runtime';
import { CreateKnowledge1732400000000 } from './migrations/1732400000000-create-knowledge';

/** The knowledge schema: collections, documents, chunks (+ full-text index). Owned by knowledge-ingestor alone. */
export const database: ServiceDatabase = {
  schema: 'knowledge',
  entities: [],
  migrations: [CreateKnowledge1732400000000],
};
