// Helper processes driven over IPC (bench/lib/child.mjs): baseline servers and SSE client pools run
// in their own process so that they neither share the bench's event loop nor its CPU figure.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url));

/** Forks a helper `role`; resolves with the child and its first message (`ready`, with a port for servers). */
export function forkChild(role, services) {
  const child = services.track(fork(CHILD, [role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] }));
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, ready: m }));
    child.once('exit', (code) => reject(new Error(`${role} child exited (${code}) before it was ready`)));
  });
}

/** The child's next message of `type`. */
export function nextMessage(child, type, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const on = (m) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
}
