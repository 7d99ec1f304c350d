#!/usr/bin/env node
// `npm run build`: build every app (or those in STACK_APPS, or those named as arguments) with
// `nest build <app>`, two at a time. Exits non-zero when any build fails.
//   node scripts/build.mjs [app…] [--changed]   --changed: skip apps whose build is up to date

import { build, selectedApps } from './lib/stack.mjs';

const args = process.argv.slice(2);
const changedOnly = args.includes('--changed');
const named = args.filter((a) => !a.startsWith('--'));
try {
  const apps = named.length ? selectedApps({ STACK_APPS: named.join(',') }) : selectedApps();
  await build({ apps, force: !changedOnly, parallel: Number(process.env.BUILD_PARALLEL) || 2 });
} catch (err) {
  console.error(`[stack] ${err.message}`);
  process.exit(err.exitCode ?? 1);
}
