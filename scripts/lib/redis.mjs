// Redis: start one of the stack's own and wait until it has loaded its dataset.

import fs from 'node:fs';
import path from 'node:path';
import { LOGS_DIR, STACK_DIR } from './config.mjs';
import { bindHost } from './endpoints.mjs';
import { indent, sleep } from './log.mjs';
import { pidFile, writePid } from './pids.mjs';
import { tcpHello, waitPort } from './ports.mjs';
import { spawnDetached, tail } from './processes.mjs';

/** Start redis-server with its data in `<STACK_DIR>/redis`. Returns the pid. */
export async function startRedis(spec, bin) {
  const dir = path.join(STACK_DIR, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(LOGS_DIR, 'redis.log');
  const args = ['--port', String(spec.port), '--bind', bindHost(spec.host), '--dir', dir, '--daemonize', 'no'];
  if (spec.password) args.push('--requirepass', spec.password);
  const { child, state } = spawnDetached(bin, args, { logFile });
  writePid(pidFile('redis'), child.pid);
  await waitPort(spec.port, { host: spec.host, name: 'redis', logFile, pid: child.pid, exited: () => state.exited });
  // Wait until it has loaded its dataset (PING answers -LOADING until then).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const reply = await tcpHello(spec.port, spec.host, 'PING\r\n');
    if (reply && (reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'))) break;
    if (Date.now() > deadline) throw new Error(`redis: not answering PING (last: ${reply})\n${indent(tail(logFile))}`);
    await sleep(100);
  }
  return child.pid;
}
