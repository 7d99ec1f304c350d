/**
 * Small helpers shared by the security suites (same behaviour as the ones inlined in security.test.ts):
 * HTTP calls with a retry on a closed keep-alive socket, Bearer headers, and the real API key CLI.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Headers = Record<string, string>;
export type CallResult = { status: number; headers: globalThis.Headers; body: Record<string, unknown> };

export const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });

/** JSON body (object or raw string) or a FormData body (multipart, the boundary set by fetch). */
export async function call(base: string, method: string, url: string, headers: Headers = {}, body?: unknown): Promise<CallResult> {
  const multipart = body instanceof FormData;
  const send = () =>
    fetch(`${base}${url}`, {
      method,
      headers: { ...(body === undefined || multipart ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : multipart ? body : typeof body === 'string' ? body : JSON.stringify(body),
    });
  // A keep-alive socket the server closed while idle fails once with "other side closed": send again.
  const res = await send()
    .catch(() => send())
    .catch((err: Error) => {
      throw new Error(`${method} ${base}${url}: ${err.message} (${(err.cause as Error)?.message})`);
    });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, body: json as Record<string, unknown> };
}

/** The real CLI (`npm run apikey -- …`), run without blocking the test's event loop. */
export async function apikeyCli(env: Record<string, string>, ...args: string[]): Promise<Record<string, unknown>> {
  const cli = path.join(process.cwd(), 'dist/apps/gateway/apps/gateway/src/cli/apikey.js');
  const { stdout } = await run(process.execPath, [cli, ...args, '--json'], { env: env as NodeJS.ProcessEnv, encoding: 'utf8' });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** `node main.js migrate` of a built service (idempotent). */
export async function migrate(app: 'agent-coordinator' | 'knowledge-ingestor', env: Record<string, string>): Promise<void> {
  await run(process.execPath, [path.join(process.cwd(), `dist/apps/${app}/apps/${app}/src/main.js`), 'migrate'], { env: env as NodeJS.ProcessEnv });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something other than undefined. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
