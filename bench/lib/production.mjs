// The production code the benches run instead of copies of it: the compiled contracts (NATS subject
// builders), the job-runner's event log and job store, and the knowledge store, all loaded from
// dist/ (`npm run build`). The only stand-ins are for Nest's wiring: a TypeORM DataSource built from
// the service's own `database` definition, and a Bus over the bench's NATS connection. When production
// code moves or is renamed, this file is the one place to follow it.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/stack.mjs';

const require = createRequire(import.meta.url);

/** A compiled module of `app`'s build: `dist/apps/<app>/<file>` (libs are compiled into each app; taken through their index). */
function load(app, file) {
  const full = path.join(ROOT, 'dist', 'apps', app, file);
  if (!fs.existsSync(full)) throw new Error(`${path.relative(ROOT, full)} is missing: run npm run build (or it moved: update bench/lib/production.mjs)`);
  require('reflect-metadata');
  return require(full);
}

function pick(module, name, where) {
  if (module[name] === undefined) throw new Error(`${where} has no export "${name}" any more: update bench/lib/production.mjs`);
  return module[name];
}

/** The NATS subject helpers, from the contracts as compiled into the job-runner. */
export function subjects() {
  const contracts = load('job-runner', 'libs/contracts/src/index.js');
  const Subjects = pick(contracts, 'Subjects', 'libs/contracts');
  const subjectFor = pick(contracts, 'subjectFor', 'libs/contracts');
  return {
    /** The published subject of a job's live events (for `Bus.subscribe(live, jobId, …)`). */
    live: Subjects.jobs.live,
    /** Its concrete NATS subject, `jobs.live.<job_id>`, for raw subscribers. */
    jobEvents: (jobId) => subjectFor(Subjects.jobs.live, jobId),
  };
}

/** A Bus (libs/runtime) over an existing NATS connection: publish/subscribe encode and decode as in the services. */
function busOver(app, nc) {
  const Bus = pick(load(app, 'libs/runtime/src/index.js'), 'Bus', 'libs/runtime');
  // Bus only asks Nest's ClientProxy for the connection it wraps.
  const client = { connect: async () => undefined, unwrap: () => nc };
  return new Bus(client, { requestTimeoutMs: 10_000 });
}

async function dataSource(app, url, poolSize) {
  const { DataSource } = require('typeorm');
  const dataSourceOptions = pick(load(app, 'libs/runtime/src/index.js'), 'dataSourceOptions', 'libs/runtime');
  const { database } = load(app, `apps/${app}/src/database.js`);
  const ds = new DataSource(dataSourceOptions(url, poolSize, database));
  await ds.initialize();
  return ds;
}

/**
 * The job-runner's persistence as production runs it: `eventLog` (EventLog: appends with their seq
 * counter, status transitions, publishing each batch on the job's subject) and `jobStore` (JobStore:
 * the submit insert), over their own pool of `poolSize` connections.
 */
export async function jobRunner({ databaseUrl, nc, poolSize = 20 }) {
  const ds = await dataSource('job-runner', databaseUrl, poolSize);
  const { EventLog } = load('job-runner', 'apps/job-runner/src/jobs/event-log.js');
  const { JobStore } = load('job-runner', 'apps/job-runner/src/jobs/job.store.js');
  const { JobEntity } = load('job-runner', 'apps/job-runner/src/jobs/job.entity.js');
  const bus = busOver('job-runner', nc);
  return {
    bus,
    eventLog: new EventLog(ds, bus),
    jobStore: new JobStore(ds.getRepository(JobEntity)),
    close: () => ds.destroy(),
  };
}

/** The knowledge-ingestor's KnowledgeStore (collections, documents, chunk writes). */
export async function knowledge({ databaseUrl, poolSize = 4 }) {
  const ds = await dataSource('knowledge-ingestor', databaseUrl, poolSize);
  const { KnowledgeStore } = load('knowledge-ingestor', 'apps/knowledge-ingestor/src/knowledge/knowledge.store.js');
  return { store: new KnowledgeStore(ds), close: () => ds.destroy() };
}
