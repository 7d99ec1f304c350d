#!/usr/bin/env node
// The local stack. See scripts/lib/stack.mjs for what each step does.
//
//   node scripts/stack.mjs infra     Postgres, NATS (JetStream) and Redis on loopback (npm run infra:up)
//   node scripts/stack.mjs build     build the apps that changed (npm run build always builds)
//   node scripts/stack.mjs migrate   build if needed, then apply migrations (npm run migrate)
//   node scripts/stack.mjs up        infra + build + migrate + start the apps not running (npm run stack:up)
//   node scripts/stack.mjs restart   infra + build + migrate + restart the apps one at a time (npm run stack:restart)
//   node scripts/stack.mjs down      stop what the stack started, by pid files (npm run stack:down)
//   node scripts/stack.mjs status    what runs where
//
// Apps are stopped with SIGTERM and get their SHUTDOWN_GRACE_MS (default 25 s) plus 5 s before
// SIGKILL. Logs in <STACK_DIR>/logs are appended to, with a `=== <time>` line at each start.
//
// Environment: the caller's environment reaches the apps unchanged; DATABASE_URL, NATS_URL and
// REDIS_URL default to loopback, KNOWLEDGE_ENABLED to true. STACK_APPS=a,b limits the apps,
// STACK_DIR moves the state directory (default .stack), STACK_READY_TIMEOUT_MS (default 90000).

import { build, down, ensureInfra, migrate, restart, selectedApps, status, up } from './lib/stack.mjs';

const commands = {
  infra: () => ensureInfra(),
  build: () => build({ apps: selectedApps() }),
  migrate: async () => {
    const { env } = await ensureInfra({ only: ['postgres'] });
    await build({ apps: selectedApps() });
    await migrate({ env });
  },
  up: () => up(),
  restart: () => restart(),
  down: () => down(),
  status: async () => console.log(await status()),
};

const command = process.argv[2];
if (!commands[command]) {
  console.error(`usage: node scripts/stack.mjs <${Object.keys(commands).join('|')}>`);
  process.exit(2);
}
try {
  await commands[command]();
  process.exit(0);
} catch (err) {
  console.error(`[stack] ${command} failed: ${err.message}`);
  if (process.env.STACK_DEBUG) console.error(err.stack);
  process.exit(err.exitCode ?? 1);
}
