// Where the stack keeps its state, the four apps and the three servers, and the environment the
// apps get.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the stack keeps its state (data, logs, pid files). `STACK_DIR` overrides; default `<repo>/.stack`. */
export const STACK_DIR = path.resolve(ROOT, process.env.STACK_DIR || '.stack');
/** Pid files: `<STACK_DIR>/pids/<name>.pid`. */
export const PIDS_DIR = path.join(STACK_DIR, 'pids');
/** Log files: `<STACK_DIR>/logs/<name>.log`. */
export const LOGS_DIR = path.join(STACK_DIR, 'logs');
/** Build stamps live inside dist so that deleting dist forces a rebuild. */
export const STAMPS_DIR = path.join(ROOT, 'dist', '.stamps');

/**
 * The four apps: the port variable each reads, its default port, and whether `main.js migrate` has
 * migrations to apply.
 * @type {Readonly<Record<string, {portEnv: string, port: number, migrations: boolean}>>}
 */
export const APPS = Object.freeze({
  gateway: Object.freeze({ portEnv: 'PORT', port: 8000, migrations: false }),
  'job-runner': Object.freeze({ portEnv: 'JOB_RUNNER_PORT', port: 8001, migrations: true }),
  'agent-coordinator': Object.freeze({ portEnv: 'COORDINATOR_PORT', port: 8002, migrations: true }),
  'knowledge-ingestor': Object.freeze({ portEnv: 'INGESTOR_PORT', port: 8003, migrations: true }),
});

/** All app names. */
export const APP_NAMES = Object.freeze(Object.keys(APPS));

/** Infrastructure servers of the stack (`stack:up`, `infra:up`). */
export const INFRA_NAMES = Object.freeze(['postgres', 'nats', 'redis']);

/**
 * Every server the scripts may manage: the stack's three plus `nats-test`, the separate NATS server
 * `npm test` uses (TEST_NATS_URL) so a developer's running apps never answer a test's requests.
 */
export const SERVER_NAMES = Object.freeze(['postgres', 'nats', 'redis', 'nats-test']);

/** Which program a server runs. */
export const serverKind = (name) => (name === 'nats-test' ? 'nats' : name);

/** Defaults applied when the caller's environment leaves these unset (or empty). */
export const INFRA_DEFAULTS = Object.freeze({
  DATABASE_URL: 'postgres://platform:platform@127.0.0.1:5432/platform',
  NATS_URL: 'nats://127.0.0.1:4222',
  REDIS_URL: 'redis://127.0.0.1:6379',
});

/**
 * The environment to give apps and tests: the caller's whole environment, plus the infrastructure
 * defaults (and `defaults`) for variables that are unset or empty. Nothing the caller set is replaced.
 * @param {NodeJS.ProcessEnv} [base=process.env]
 * @param {Record<string, string>} [defaults={}] extra defaults, e.g. `{ KNOWLEDGE_ENABLED: 'true' }`
 * @returns {Record<string, string>}
 */
export function stackEnv(base = process.env, defaults = {}) {
  const env = { ...base };
  for (const [key, value] of Object.entries({ ...INFRA_DEFAULTS, ...defaults })) {
    if (env[key] === undefined || env[key] === '') env[key] = value;
  }
  return env;
}

/**
 * The apps this invocation manages: `STACK_APPS=agent-coordinator,knowledge-ingestor` limits the
 * list (unknown names are an error); unset means all four.
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @returns {string[]}
 */
export function selectedApps(env = process.env) {
  const raw = (env.STACK_APPS ?? '').trim();
  if (!raw || raw === 'all') return [...APP_NAMES];
  const wanted = raw.split(/[\s,]+/).filter(Boolean);
  const unknown = wanted.filter((a) => !APPS[a]);
  if (unknown.length) throw new Error(`STACK_APPS: unknown app(s) ${unknown.join(', ')} (known: ${APP_NAMES.join(', ')})`);
  return APP_NAMES.filter((a) => wanted.includes(a));
}

/**
 * Path of an app's built entry point: `dist/apps/<app>/apps/<app>/src/main.js`.
 * @param {string} name app name
 */
export function appEntry(name) {
  assertApp(name);
  return path.join(ROOT, 'dist', 'apps', name, 'apps', name, 'src', 'main.js');
}

/**
 * The HTTP port an app will listen on given `env` (its port variable, else its default).
 * @param {string} name app name
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @returns {number}
 */
export function appPort(name, env = process.env) {
  assertApp(name);
  const { portEnv, port } = APPS[name];
  const value = Number(env[portEnv]);
  return Number.isInteger(value) && value > 0 ? value : port;
}

export function assertApp(name) {
  if (!APPS[name]) throw new Error(`unknown app "${name}" (known: ${APP_NAMES.join(', ')})`);
}

/** A path relative to the repo when inside it (shorter messages), else absolute. */
export function shown(p) {
  const rel = path.relative(ROOT, p);
  return rel.startsWith('..') ? p : rel;
}
