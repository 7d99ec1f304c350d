import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';

export interface ServiceDatabase {
  /** The Postgres schema this service owns; nobody else reads it. */
  schema: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
}

export function dataSourceOptions(url: string, poolSize: number, db: ServiceDatabase): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    schema: db.schema,
    entities: db.entities,
    migrations: db.migrations,
    migrationsTableName: `${db.schema}_migrations`,
    migrationsTransactionMode: 'each',
    synchronize: false,
    poolSize,
    extra: { max: poolSize, connectionTimeoutMillis: 5000, application_name: db.schema },
  };
}

export function databaseModule(url: string, poolSize: number, db: ServiceDatabase) {
  return TypeOrmModule.forRoot({ ...dataSourceOptions(url, poolSize, db), retryAttempts: 1000, retryDelay: 1000 });
}

/** Applies this service's pending migrations. The schema is created first so the migrations table can live in it. */
export async function runMigrations(url: string, db: ServiceDatabase): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(url, 2, db));
  await ds.initialize();
  try {
    await ds.query(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
