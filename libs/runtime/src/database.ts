import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';
import { breakerClient, PostgresBreaker } from './postgres-breaker';

export interface ServiceDatabase {
  /** The Postgres schema this service owns; nobody else reads it. */
  schema: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
}

export function dataSourceOptions(url: string, poolSize: number, db: ServiceDatabase, breaker?: PostgresBreaker): DataSourceOptions {
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
    extra: { max: poolSize, connectionTimeoutMillis: 5000, application_name: db.schema, ...(breaker && { Client: breakerClient(breaker) }) },
  };
}

/** The service's connection pool; its connection attempts go through a breaker (fast 503s while Postgres is down). */
export function databaseModule(url: string, poolSize: number, db: ServiceDatabase, breakerProbeMs = 250) {
  const breaker = new PostgresBreaker(breakerProbeMs);
  return TypeOrmModule.forRoot({ ...dataSourceOptions(url, poolSize, db, breaker), retryAttempts: 1000, retryDelay: 1000 });
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

/** Anything with TypeORM's raw `query()`: a DataSource, an EntityManager (inside a transaction) or a Repository. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Runs a statement that changes rows (UPDATE/DELETE, with or without RETURNING, or a CTE around them)
 * and answers its RETURNING rows and how many rows it changed, whatever the statement was. TypeORM's
 * `query()` answers a top-level UPDATE or DELETE with `[rows, rowCount]` and every other statement (an
 * INSERT, or a `WITH … UPDATE … INSERT`, which is an INSERT) with the rows alone; for those `affected`
 * is the number of rows returned. The one place that knows this shape: nobody else unpacks it.
 */
export async function mutate<T = unknown>(db: Queryable, sql: string, params: unknown[] = []): Promise<{ rows: T[]; affected: number }> {
  const out = await db.query(sql, params);
  if (Array.isArray(out) && out.length === 2 && Array.isArray(out[0]) && typeof out[1] === 'number') return { rows: out[0] as T[], affected: out[1] };
  const rows = (out ?? []) as T[];
  return { rows, affected: rows.length };
}
