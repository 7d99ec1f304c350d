// Reusable pieces of the local stack: infrastructure (Postgres, NATS with JetStream, Redis on
// loopback), building the apps, migrations, and starting/stopping app processes.
//
// Used by scripts/stack.mjs (`npm run stack:up|stack:down|infra:up|migrate`), scripts/test.mjs
// (`npm test`), scripts/build.mjs (`npm run build`), the benchmarks and the e2e tests' support code,
// which starts extra app processes (a second gateway, a second job-runner…) with startApp().
//
// Everything the scripts start is recorded in <STACK_DIR>/pids/<name>.pid, and that is all that
// down()/stopInfra() ever stop. Servers that already answer on their port are reused and left alone.
// STACK_DIR defaults to <repo>/.stack (git-ignored).
//
// This file is the index; each concern lives in its own module:
//   log.mjs              progress messages (setLogger)
//   config.mjs           paths, the apps and servers, the apps' environment
//   pids.mjs             liveness, pid files, stopping a process
//   processes.mjs        detached processes and their logs, commands, lock files
//   ports.mjs            port probes, waiting for a port or a URL
//   binaries.mjs         finding (and apt-installing) the server programs
//   endpoints.mjs        the servers' URLs parsed, the test URLs
//   postgres-server.mjs  the stack's own Postgres cluster
//   postgres.mjs         logging in, creating a database
//   nats.mjs, redis.mjs  the other two servers
//   infra.mjs            all servers: ensure, stop, reset the test state
//   build.mjs            nest build and migrations
//   apps.mjs             starting, checking and stopping app processes
//   commands.mjs         up, restart, down, status

export { APP_NAMES, APPS, INFRA_DEFAULTS, INFRA_NAMES, LOGS_DIR, PIDS_DIR, ROOT, SERVER_NAMES, STACK_DIR } from './config.mjs';
export { appEntry, appPort, selectedApps, stackEnv } from './config.mjs';
export { setLogger } from './log.mjs';
export { serverBinaries } from './binaries.mjs';
export { isAlive, pidFile, readPid, stopPid } from './pids.mjs';
export { tail } from './processes.mjs';
export { portOpen, waitHttp, waitPort } from './ports.mjs';
export { testUrls } from './endpoints.mjs';
export { ensureDatabase } from './postgres.mjs';
export { ensureInfra, resetTestState, stopInfra } from './infra.mjs';
export { build, migrate, needsBuild } from './build.mjs';
export { startApp, stopApp } from './apps.mjs';
export { down, restart, status, up } from './commands.mjs';
