/**
 * Security suite, against real processes from dist/ (build first: `npx nest build gateway`,
 * `npx nest build job-runner`; `npm test` does it). One job-runner, a main gateway with generous
 * limits, and two more gateways with tight limits sharing Redis, all on a private NATS server.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateKeyPair } from 'jose';
import { startService, testEnv, type AppProcess } from '../../support/services';
import { AUDIENCE, HangingLlm, hs256WithKey, startNats, tamper, TestIdp, uniq, unsignedToken } from './fixtures';
import { call } from './support';

jest.setTimeout(180_000);

const BASE = 18400;
const PORTS = { gateway: BASE, jobRunner: BASE + 1, gatewayA: BASE + 10, gatewayB: BASE + 11, idp: BASE + 97, llm: BASE + 98, nats: BASE + 99 };
const JSON_LIMIT = 64 * 1024;
const ROOT = process.cwd();
const run = promisify(execFile);

const idp = new TestIdp(PORTS.idp);
const llm = new HangingLlm(PORTS.llm);
let nats: Awaited<ReturnType<typeof startNats>> = null;
let env: Record<string, string>;
let jobRunner: AppProcess;
let gw: AppProcess;
let gwA: AppProcess;
let gwB: AppProcess;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
let alice: Record<string, string>;
let bob: Record<string, string>;
let carolKey: string;

const api = (method: string, url: string, headers: Record<string, string> = {}, body?: unknown) => call(gw.url, method, url, headers, body);

async function submit(headers: Record<string, string>, agent = 'echo', input = 'hello', base = gw.url): Promise<string> {
  const r = await call(base, 'POST', '/v1/jobs/async/submit', headers, { agent_type: agent, input });
  expect([r.status, r.body]).toEqual([200, expect.objectContaining({ status: 'submitted' })]);
  return r.body.job_id as string;
}

async function waitStatus(headers: Record<string, string>, id: string, want: string[]): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await api('GET', `/v1/jobs/async/job/${id}`, headers);
    if (want.includes(r.body.status as string)) return r.body.status as string;
    if (Date.now() > deadline) throw new Error(`job ${id} stuck in ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 150));
  }
}

/** Opens an SSE stream and returns its status; the response stays open until `close()`. */
async function openStream(base: string, url: string, headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(`${base}${url}`, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  let body: unknown;
  if (res.status !== 200) body = await res.json().catch(() => undefined);
  return {
    status: res.status,
    headers: res.headers,
    body: body as Record<string, unknown> | undefined,
    async firstChunk(): Promise<string> {
      const reader = res.body!.getReader();
      const { value } = await reader.read();
      reader.releaseLock();
      return Buffer.from(value ?? new Uint8Array()).toString();
    },
    close: () => ac.abort(),
  };
}

/** The real CLI (`npm run apikey -- …`), run without blocking the test's event loop. */
async function apikey(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'dist/apps/gateway/apps/gateway/src/cli/apikey.js'), ...args, '--json'], {
    env: env as NodeJS.ProcessEnv,
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

beforeAll(async () => {
  const t0 = Date.now();
  const step = (what: string) => process.env.SEC_DEBUG && console.log(`${what} +${Date.now() - t0} ms`);
  nats = await startNats(PORTS.nats);
  step('nats');
  await Promise.all([idp.start(), llm.start()]);
  step('idp');
  env = testEnv({
    ...(nats ? { NATS_URL: nats.url } : {}),
    REDIS_KEY_PREFIX: `${uniq('sec')}:`,
    STREAM_TICKET_SECRET: 'security-suite-ticket-secret-0123456789abcdef',
    REQUIRE_AUTH: 'true',
    AUTH_JWT_ISSUER: idp.issuer, // keys found by OIDC discovery
    AUTH_JWT_AUDIENCE: AUDIENCE,
    AUTH_API_KEYS_ENABLED: 'true',
    AUTH_API_KEY_CACHE_TTL_MS: '500',
    STREAM_TICKET_TTL_SECONDS: '5',
    JSON_BODY_LIMIT_BYTES: String(JSON_LIMIT),
    LLM_BASE_URL: llm.url,
    LLM_TIMEOUT_MS: '120000',
    MAX_ACTIVE_JOBS_PER_CALLER: '3',
    KNOWLEDGE_ENABLED: 'false',
  });
  const generous = { ...env, RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST_PER_SECOND: '10000', MAX_STREAMS_PER_CALLER: '50' };
  // The tight pair shares its counters with each other, not with the generous gateway (whose traffic
  // would otherwise exhaust their limits); all three share the ticket key.
  const tight = {
    ...env,
    REDIS_KEY_PREFIX: `${env.REDIS_KEY_PREFIX}tight:`,
    RATE_LIMIT_PER_MINUTE: '12',
    RATE_LIMIT_BURST_PER_SECOND: '5',
    MAX_STREAMS_PER_CALLER: '2',
  };
  [jobRunner, gw, gwA, gwB] = await Promise.all([
    startService('job-runner', PORTS.jobRunner, env),
    startService('gateway', PORTS.gateway, generous),
    startService('gateway', PORTS.gatewayA, tight),
    startService('gateway', PORTS.gatewayB, tight),
  ]);
  step('services');
  alice = bearer(await idp.token(uniq('alice')));
  bob = bearer(await idp.token(uniq('bob')));
  carolKey = (await apikey('create', '--name', uniq('carol'))).key as string;
});

afterAll(async () => {
  await Promise.all([gw, gwA, gwB, jobRunner].filter(Boolean).map((a) => a.stop(5000)));
  await Promise.all([idp.stop(), llm.stop()]);
  await nats?.stop();
});

describe('authentication (REQUIRE_AUTH=true)', () => {
  it('lets probes and docs through without credentials', async () => {
    expect((await api('GET', '/health')).status).toBe(200);
    expect((await api('GET', '/openapi.json')).status).toBe(200);
  });

  it('answers 401 with WWW-Authenticate and the surface shape without a token, and every response has X-Request-ID', async () => {
    const r = await api('GET', '/v1/jobs/async/agents');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(r.body).toEqual({ detail: 'Not authenticated' });
    expect(r.headers.get('x-request-id')).toBeTruthy();
    const given = await api('GET', '/v1/jobs/async/agents', { 'x-request-id': 'trace-123' });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
  });

  it('accepts a JWT found through OIDC discovery and an API key created by the CLI', async () => {
    expect((await api('GET', '/v1/jobs/async/agents', alice)).status).toBe(200);
    expect((await api('GET', '/v1/jobs/async/agents', bearer(carolKey))).status).toBe(200);
  });

  it('refuses malformed Authorization headers', async () => {
    for (const h of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', `Token ${carolKey}`]) {
      const r = await api('GET', '/v1/jobs/async/agents', { authorization: h });
      expect([h, r.status]).toEqual([h, 401]);
    }
  });

  it('refuses access tokens in the query string', async () => {
    const jwt = alice.authorization.slice(7);
    for (const q of [`access_token=${jwt}`, `token=${jwt}`, `api_key=${carolKey}`]) {
      const r = await api('GET', `/v1/jobs/async/agents?${q}`);
      expect(r.status).toBe(400);
      expect(String(r.body.detail)).toMatch(/query string/);
    }
  });

  it('revoked API keys stop working', async () => {
    const name = uniq('temp');
    const created = await apikey('create', '--name', name);
    expect((await api('GET', '/v1/jobs/async/agents', bearer(created.key as string))).status).toBe(200);
    const listed = (await apikey('list')) as unknown as { name: string }[];
    expect(JSON.stringify(listed)).not.toContain(created.key as string); // only hashes are stored
    expect(listed.some((k) => k.name === name)).toBe(true);
    await apikey('revoke', name);
    await new Promise((r) => setTimeout(r, 700)); // AUTH_API_KEY_CACHE_TTL_MS=500
    expect((await api('GET', '/v1/jobs/async/agents', bearer(created.key as string))).status).toBe(401);
  });
});

describe('JWT attacks', () => {
  const refused = async (token: string) => {
    const r = await api('GET', '/v1/jobs/async/agents', bearer(token));
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ detail: 'Invalid token' });
    expect(r.headers.get('www-authenticate')).toContain('invalid_token');
  };
  const claims = () => ({ sub: 'mallory', iss: idp.issuer, aud: AUDIENCE, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300 });

  it('alg none', () => refused(unsignedToken(claims())));
  it('HS256 signed with the public key (RS/HS confusion)', async () => {
    await refused(hs256WithKey(claims(), idp.key().publicPem));
    await refused(hs256WithKey(claims(), JSON.stringify(idp.key().publicJwk)));
  });
  it('forged signature (claims changed after signing)', async () => refused(tamper(await idp.token('mallory'), { sub: 'admin' })));
  it('signed by a key the issuer never published', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    await refused(await idp.token('mallory', { privateKey }));
    await refused(await idp.token('mallory', { privateKey, kid: 'unknown-kid' }));
  });
  it('expired (beyond the clock skew)', async () => refused(await idp.token('mallory', { exp: Math.floor(Date.now() / 1000) - 120 })));
  it('not yet valid', async () => refused(await idp.token('mallory', { nbf: Math.floor(Date.now() / 1000) + 600 })));
  it('wrong issuer', async () => refused(await idp.token('mallory', { iss: 'https://evil.example' })));
  it('wrong audience', async () => refused(await idp.token('mallory', { aud: 'another-api' })));
  it('no subject', async () => refused(await idp.token('mallory', { noSub: true })));
  it('garbage', async () => {
    for (const t of ['abc', 'a.b.c', 'eyJhbGciOiJSUzI1NiJ9.e30.', `${'x'.repeat(9000)}`, 'aiqk_0000000000000000_' + 'A'.repeat(43)]) await refused(t);
  });
  it('accepts a token expired within the clock skew, and a key rotated in after start-up (unknown kid → JWKS refresh)', async () => {
    expect((await api('GET', '/v1/jobs/async/agents', bearer(await idp.token(uniq('skew'), { exp: Math.floor(Date.now() / 1000) - 5 })))).status).toBe(200);
    await idp.addKey('k2');
    expect((await api('GET', '/v1/jobs/async/agents', bearer(await idp.token(uniq('rotated'), { kid: 'k2' })))).status).toBe(200);
  });
});

describe('ownership (BOLA): another caller gets 404 for every job route', () => {
  it('the caller reaches the owning service (job-runner stores the job under its principal)', async () => {
    const id = await submit(alice);
    const seen = await api('GET', `/v1/jobs/async/job/${id}`, bob);
    if (seen.status !== 404) {
      throw new Error(
        "job-runner returned another caller's job: the x-principal header is not applied on the NATS side. " +
          'Cause found: libs/runtime bootstrapService registers RpcContextInterceptor/pipes/filters after connectMicroservice() ' +
          'has initialised the microservice (Nest 12 logs "Cannot apply global interceptors"); pass { deferInitialization: true }.',
      );
    }
  });

  let jobId: string;
  beforeAll(async () => {
    jobId = await submit(alice);
    await waitStatus(alice, jobId, ['success']);
  });

  const routes = (id: string): [string, string][] => [
    ['GET', `/v1/jobs/async/job/${id}`],
    ['GET', `/v1/jobs/async/job/${id}/state`],
    ['GET', `/v1/jobs/async/job/${id}/report`],
    ['GET', `/v1/jobs/async/job/${id}/stream`],
    ['GET', `/v1/jobs/async/job/${id}/stream/0`],
    ['GET', `/v1/jobs/async/job/${id}/stream/3`],
    ['POST', `/v1/jobs/async/job/${id}/cancel`],
    ['POST', `/v1/jobs/async/job/${id}/stream-ticket`],
  ];

  it('the owner reads everything', async () => {
    for (const [m, u] of routes(jobId)) {
      const r = await api(m, u, alice);
      expect([m, u, r.status]).toEqual([m, u, m === 'POST' && u.endsWith('cancel') ? 409 : 200]);
    }
  });

  it('another JWT caller and an API-key caller get 404 everywhere', async () => {
    for (const who of [bob, bearer(carolKey)]) {
      for (const [m, u] of routes(jobId)) {
        const r = await api(m, u, who);
        expect([m, u, r.status]).toEqual([m, u, 404]);
        expect(r.body).toHaveProperty('detail');
      }
    }
  });

  it('cannot cancel a running job of someone else; it keeps running', async () => {
    const running = await submit(alice, 'shallow_researcher', 'what is x');
    await waitStatus(alice, running, ['running']);
    expect((await api('POST', `/v1/jobs/async/job/${running}/cancel`, bob)).status).toBe(404);
    expect((await api('GET', `/v1/jobs/async/job/${running}`, alice)).body.status).toBe('running');
    expect((await api('POST', `/v1/jobs/async/job/${running}/cancel`, alice)).status).toBe(200);
  });

  it('an idempotency key or chosen job id of another caller does not reveal their job', async () => {
    const r = await api('POST', '/v1/jobs/async/submit', bob, { agent_type: 'echo', input: 'x', job_id: jobId });
    expect(r.status).toBe(409); // the id is taken; nothing of the job is returned
    expect(JSON.stringify(r.body)).not.toContain('hello');
  });
});

describe('mass assignment and bodies', () => {
  it('unknown fields are 422 (owner, principal, status cannot be set)', async () => {
    for (const extra of [{ owner: 'bob' }, { principal: { type: 'jwt', sub: 'bob' } }, { status: 'success' }, { skip_clarifier: false }]) {
      const r = await api('POST', '/v1/jobs/async/submit', alice, { agent_type: 'echo', input: 'x', ...extra });
      expect(r.status).toBe(422);
      expect(Array.isArray(r.body.detail)).toBe(true);
    }
  });

  it('oversize JSON bodies are 413 with the surface shape', async () => {
    const r = await api('POST', '/v1/jobs/async/submit', alice, { agent_type: 'echo', input: 'x'.repeat(JSON_LIMIT + 10) });
    expect(r.status).toBe(413);
    expect(r.body).toEqual({ detail: 'Request body too large' });
  });

  it('a NUL character in any JSON string or key is 422 on every surface, never a 500', async () => {
    const cases: [string, unknown][] = [
      ['/v1/jobs/async/submit', { agent_type: 'echo', input: 'a\u0000b' }],
      ['/v1/jobs/async/submit', { agent_type: 'echo', input: 'x', collections: ['c\u0000'] }],
      ['/tasks/submit', { task_data: { note: 'x\u0000y' }, priority: 'normal' }],
      ['/tasks/submit', { task_data: { 'k\u0000': 1 }, priority: 'normal' }],
      ['/agents/register', { agent_id: 'nul-agent', name: 'n\u0000', agent_type: 'worker' }],
    ];
    for (const [path, body] of cases) {
      const r = await api('POST', path, alice, body);
      expect({ path, body, status: r.status }).toEqual({ path, body, status: 422 });
      expect(JSON.stringify(r.body.detail)).toMatch(/NUL/);
    }
  });

  it('a form-encoded body is not parsed: 422, never a 500', async () => {
    const r = await fetch(`${gw.url}/tasks/submit`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'task_data[note]=x%00y&priority=normal',
    });
    expect(r.status).toBe(422);
  });

  it('prototype keys, invalid UTF-8 and absurd nesting are refused with a 422 naming the problem, never a 500', async () => {
    const raw = (body: string | Buffer) =>
      fetch(`${gw.url}/v1/jobs/async/submit`, { method: 'POST', headers: { ...alice, 'content-type': 'application/json' }, body }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { detail: unknown },
      }));
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const r = await raw(`{"agent_type":"echo","input":"x","${key}":{"polluted":true}}`);
      expect({ key, status: r.status }).toEqual({ key, status: 422 });
      expect(JSON.stringify(r.body.detail)).toContain(key);
    }
    const nested = await raw(`{"agent_type":"echo","input":"x","collections":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(nested.status).toBe(422);
    expect(JSON.stringify(nested.body)).not.toMatch(/call stack/i);
    const badUtf8 = await raw(Buffer.concat([Buffer.from('{"agent_type":"echo","input":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]));
    expect([badUtf8.status, badUtf8.body.detail]).toEqual([422, 'The body is not valid UTF-8']);
    // Legitimate deep-ish bodies and non-ASCII text still pass.
    expect((await raw(JSON.stringify({ agent_type: 'echo', input: 'héllo ✓ 日本' }))).status).toBe(200);
  });

  it('malformed JSON is 400, unknown routes 404, never a stack trace', async () => {
    const r = await api('POST', '/v1/jobs/async/submit', alice, '{"agent_type":');
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).not.toMatch(/at .*\.js:\d+/);
    expect((await api('GET', '/v1/nothing-here', alice)).status).toBe(404);
  });
});

describe('stream tickets', () => {
  let aliceJob: string;
  let bobJob: string;
  beforeAll(async () => {
    [aliceJob, bobJob] = await Promise.all([submit(alice), submit(bob)]);
    await Promise.all([waitStatus(alice, aliceJob, ['success']), waitStatus(bob, bobJob, ['success'])]);
  });
  const ticketFor = async (headers: Record<string, string>, id: string) => {
    const r = await api('POST', `/v1/jobs/async/job/${id}/stream-ticket`, headers);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    return r.body.ticket as string;
  };

  it('opens the job stream without headers (EventSource), on any replica', async () => {
    const ticket = await ticketFor(alice, aliceJob);
    for (const base of [gw.url, gwA.url]) {
      const s = await openStream(base, `/v1/jobs/async/job/${aliceJob}/stream?ticket=${ticket}`);
      expect(s.status).toBe(200);
      expect(await s.firstChunk()).toContain('retry:');
      s.close();
      // gwA caps alice at 2 streams across replicas; the slot frees when the server sees the close.
      await new Promise((r) => setTimeout(r, 300));
    }
    const replay = await openStream(gw.url, `/v1/jobs/async/job/${aliceJob}/stream/1?ticket=${ticket}`);
    expect(replay.status).toBe(200);
    replay.close();
  });

  it('is refused for another job, for another caller, on other routes, tampered, or expired', async () => {
    const bobTicket = await ticketFor(bob, bobJob);
    const aliceTicket = await ticketFor(alice, aliceJob);
    // another job: bob's ticket on alice's job
    expect((await openStream(gw.url, `/v1/jobs/async/job/${aliceJob}/stream?ticket=${bobTicket}`)).status).toBe(401);
    // another caller: bob presenting alice's ticket alongside his own token
    expect((await openStream(gw.url, `/v1/jobs/async/job/${aliceJob}/stream?ticket=${aliceTicket}`, bob)).status).toBe(401);
    // minting a ticket for someone else's job
    expect((await api('POST', `/v1/jobs/async/job/${aliceJob}/stream-ticket`, bob)).status).toBe(404);
    // not a stream URL
    for (const u of [`/v1/jobs/async/job/${aliceJob}`, `/v1/jobs/async/job/${aliceJob}/report`, `/v1/jobs/async/agents`]) {
      expect((await api('GET', `${u}?ticket=${aliceTicket}`)).status).toBe(401);
    }
    expect((await api('POST', `/v1/jobs/async/job/${aliceJob}/cancel?ticket=${aliceTicket}`)).status).toBe(401);
    // tampered
    const [body, sig] = aliceTicket.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), j: bobJob })).toString('base64url');
    expect((await openStream(gw.url, `/v1/jobs/async/job/${bobJob}/stream?ticket=${forged}.${sig}`)).status).toBe(401);
    expect((await openStream(gw.url, `/v1/jobs/async/job/${aliceJob}/stream?ticket=garbage`)).status).toBe(401);
    // expired (STREAM_TICKET_TTL_SECONDS=5)
    await new Promise((r) => setTimeout(r, 6000));
    const expired = await openStream(gw.url, `/v1/jobs/async/job/${aliceJob}/stream?ticket=${aliceTicket}`);
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ detail: 'Invalid or expired stream ticket for this URL' });
  });
});

describe('limits across two gateway processes sharing Redis', () => {
  it('burst limit is shared by both replicas; headers and Retry-After are set; other callers are unaffected', async () => {
    const dave = bearer(await idp.token(uniq('dave')));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => call(i % 2 ? gwA.url : gwB.url, 'GET', '/v1/jobs/async/agents', dave)));
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect(ok.length).toBe(5); // RATE_LIMIT_BURST_PER_SECOND=5 across both processes
    expect(limited.length).toBe(5);
    for (const r of limited) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.headers.get('x-ratelimit-limit')).toBe('12');
      expect(r.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
      expect(r.body).toHaveProperty('detail');
    }
    expect(ok[0].headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
    // Someone else's burst is not ours.
    const erin = bearer(await idp.token(uniq('erin')));
    expect((await call(gwA.url, 'GET', '/v1/jobs/async/agents', erin)).status).toBe(200);
    expect((await call(gwB.url, 'GET', '/v1/jobs/async/agents', bearer(await idp.token(uniq('fay'))))).status).toBe(200);
    // Probes are never limited.
    for (let i = 0; i < 8; i++) expect((await call(gwA.url, 'GET', '/health')).status).toBe(200);
  });

  it('per-minute limit is shared by both replicas', async () => {
    const frank = bearer(await idp.token(uniq('frank')));
    let accepted = 0;
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 14; i++) {
      last = await call(i % 2 ? gwA.url : gwB.url, 'GET', '/v1/jobs/async/agents', frank);
      if (last.status === 200) accepted++;
      await new Promise((r) => setTimeout(r, 260)); // under the burst limit
    }
    expect(accepted).toBe(12);
    expect(last!.status).toBe(429);
    expect(last!.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(1);
  });

  it('concurrent streams per caller are capped across replicas and released on close', async () => {
    const gina = bearer(await idp.token(uniq('gina')));
    const job = await submit(gina, 'shallow_researcher', 'long', gwA.url);
    const url = `/v1/jobs/async/job/${job}/stream`;
    const s1 = await openStream(gwA.url, url, gina);
    const s2 = await openStream(gwB.url, url, gina);
    expect([s1.status, s2.status]).toEqual([200, 200]);
    const s3 = await openStream(gwA.url, url, gina);
    expect(s3.status).toBe(429);
    expect(s3.headers.get('retry-after')).toBeTruthy();
    expect(String(s3.body?.detail)).toMatch(/concurrent streams/);
    // Another caller still streams.
    const hank = bearer(await idp.token(uniq('hank')));
    const hankJob = await submit(hank, 'echo', 'x', gwB.url);
    await new Promise((r) => setTimeout(r, 1100)); // let the burst window pass
    const other = await openStream(gwB.url, `/v1/jobs/async/job/${hankJob}/stream`, hank);
    expect([200, 204]).toContain(other.status);
    other.close();
    s1.close();
    let reopened = 0;
    for (let i = 0; i < 20 && reopened !== 200; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const s = await openStream(gwB.url, url, gina);
      reopened = s.status;
      s.close();
    }
    expect(reopened).toBe(200);
    s2.close();
    await call(gwA.url, 'POST', `/v1/jobs/async/job/${job}/cancel`, gina);
  });

  it('active jobs per caller are capped by job-runner (429 through the gateway)', async () => {
    const ivan = bearer(await idp.token(uniq('ivan')));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await submit(ivan, 'shallow_researcher', `q${i}`));
    const r = await api('POST', '/v1/jobs/async/submit', ivan, { agent_type: 'echo', input: 'one more' });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBeTruthy();
    expect(String(r.body.detail)).toMatch(/active jobs/);
    expect((await api('POST', '/v1/jobs/async/submit', bob, { agent_type: 'echo', input: 'not limited' })).status).toBe(200);
    for (const id of ids) await api('POST', `/v1/jobs/async/job/${id}/cancel`, ivan);
  });
});

describe('after all that', () => {
  it('every service is still healthy and still serves work', async () => {
    for (const p of [gw, gwA, gwB, jobRunner]) {
      expect(p.alive).toBe(true);
      expect((await fetch(`${p.url}/health`)).status).toBe(200);
    }
    const id = await submit(alice);
    expect(await waitStatus(alice, id, ['success'])).toBe('success');
  });
});
