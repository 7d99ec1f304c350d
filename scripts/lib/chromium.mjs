// The browser the debug console's tests drive (test/browser/, Playwright's playwright-core): Debian's
// Chromium, found on this machine or installed with apt (as root) when it is missing, like the servers
// in binaries.mjs. Playwright's own browser download is not used (it cannot work offline or in CI here).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { isRoot, which } from './binaries.mjs';
import { log } from './log.mjs';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** CHROME_PATH when it names an executable, else the first Chromium or Chrome on PATH; null when none. */
export function findChromium(env = process.env) {
  if (env.CHROME_PATH) {
    try {
      fs.accessSync(env.CHROME_PATH, fs.constants.X_OK);
      return env.CHROME_PATH;
    } catch {
      /* fall through to the usual names */
    }
  }
  for (const name of CANDIDATES) {
    const found = which(name);
    if (found) return found;
  }
  return null;
}

/**
 * A Chromium for the browser tests: found, or installed with `apt-get install -y chromium` when we are
 * root and apt exists. Returns its path, or null with a loud warning when it cannot be had (the browser
 * tests then skip, saying why, instead of failing on a machine that cannot run them).
 */
export function ensureChromium(env = process.env) {
  const found = findChromium(env);
  if (found) return found;
  const hasApt = which('apt-get') !== null;
  if (hasApt && isRoot()) {
    const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    log('chromium: not found; apt-get update && apt-get install -y chromium (for the browser tests)');
    const u = spawnSync('apt-get', ['update'], { stdio: 'inherit', env: aptEnv });
    const r = u.status === 0 ? spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env: aptEnv }) : u;
    if (r.status !== 0) throw new Error(`apt-get install chromium failed (exit ${r.status}); the browser tests need it (or set CHROME_PATH)`);
    const installed = findChromium(env);
    if (!installed) throw new Error('apt-get installed chromium but no chromium executable was found on PATH');
    return installed;
  }
  const why = hasApt ? 'not root, so apt-get cannot install it (run: sudo apt-get install -y chromium)' : 'apt-get is not available on this machine';
  const bar = '!'.repeat(100);
  console.error(
    `\n${bar}\n!! [test] NO CHROMIUM: ${why}.\n!! The browser tests (test/browser/, the debug console) WILL BE SKIPPED. Set CHROME_PATH to a Chromium to run them.\n${bar}\n`,
  );
  return null;
}
