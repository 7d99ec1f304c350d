/**
 * Ownership (BOLA) and mass assignment for the agent-coordinator API (/agents, /tasks) and the
 * knowledge API (/v1/collections, /v1/documents), through the gateway with real JWTs (local OIDC
 * issuer) and an API key made by the CLI. Real processes from dist/ (build first: `npx nest build
 * gateway|agent-coordinator|knowledge-ingestor`), on a private NATS server so no other suite's
 * services answer this suite's requests. Alice creates every resource; bob (JWT) and carol (API key)
 * must get 404 on every read/mutate route (or an empty result on listings), and alice's resource is
 * unchanged afterwards.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startService, testEnv, type AppProcess } from '../../support/services';
import { AUDIENCE, startNats, TestIdp, uniq } from './fixtures';
import { apikeyCli, bearer, call, migrate, until, type Headers } from './support';

jest.setTimeout(180_000);

const BASE = 18450;
const PORTS = { gateway: BASE, coordinator: BASE + 2, ingestor: BASE + 3, idp: BASE + 27, nats: BASE + 29 };

const idp = new TestIdp(PORTS.idp);
let nats: Awaited<ReturnType<typeof startNats>> = null;
let env: Record<string, string>;
let gw: AppProcess;
let coordinator: AppProcess;
let ingestor: AppProcess;

let alice: Headers;
let bob: Headers;
let carol: Headers; // an API-key caller
const others = () =>
  [
    ['bob (JWT)', bob],
    ['carol (API key)', carol],
  ] as const;

const api = (method: string, url: string, headers: Headers = {}, body?: unknown) => call(gw.url, method, url, headers, body);

/** Every route in `routes` answers 404 with a `detail` to both other callers. */
async function expectHiddenFromOthers(routes: [string, string, unknown?][]) {
  for (const [who, headers] of others()) {
    for (const [m, u, body] of routes) {
      const r = await api(m, u, headers, body);
      expect([who, m, u, r.status]).toEqual([who, m, u, 404]);
      expect(r.body).toHaveProperty('detail');
    }
  }
}

beforeAll(async () => {
  nats = await startNats(PORTS.nats);
  if (!nats) throw new Error('nats-server not found: this suite needs its own NATS server');
  await idp.start();
  env = testEnv({
    NATS_URL: nats.url,
    REDIS_KEY_PREFIX: `${uniq('bola')}:`,
    REQUIRE_AUTH: 'true',
    AUTH_JWT_ISSUER: idp.issuer,
    AUTH_JWT_AUDIENCE: AUDIENCE,
    AUTH_API_KEYS_ENABLED: 'true',
    KNOWLEDGE_ENABLED: 'true',
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_BURST_PER_SECOND: '10000',
    // Alice's agent must not turn stale during the suite.
    COORDINATOR_HEARTBEAT_INTERVAL_MS: '60000',
    LLM_BASE_URL: '',
  });
  await Promise.all([migrate('agent-coordinator', env), migrate('knowledge-ingestor', env)]);
  [coordinator, ingestor] = await Promise.all([
    startService('agent-coordinator', PORTS.coordinator, env),
    startService('knowledge-ingestor', PORTS.ingestor, env),
  ]);
  gw = await startService('gateway', PORTS.gateway, env);
  alice = bearer(await idp.token(uniq('alice')));
  bob = bearer(await idp.token(uniq('bob')));
  carol = bearer((await apikeyCli(env, 'create', '--name', uniq('carol'))).key as string);
});

afterAll(async () => {
  await Promise.all([gw, coordinator, ingestor].filter(Boolean).map((a) => a.stop(5000)));
  await idp.stop();
  await nats?.stop();
});

describe('agent registry: another caller gets 404 for alice’s agent', () => {
  const agentId = uniq('alice-agent');
  const agentType = uniq('bola-type');
  const loadMetrics = { cpu_usage: 0.25, memory_usage: 0.5 };

  beforeAll(async () => {
    // No endpoints: the agent can never be handed a task, so nothing changes it behind the test's back.
    const r = await api('POST', '/agents/register', alice, {
      agent_id: agentId,
      agent_type: agentType,
      capabilities: ['bola'],
      metadata: { note: 'alice' },
      load_metrics: loadMetrics,
    });
    expect([r.status, r.body.status]).toEqual([200, 'success']);
  });

  afterAll(async () => {
    // The owner can deregister it (and nothing of this suite stays in the shared registry).
    if (gw) expect((await api('DELETE', `/agents/${agentId}`, alice)).status).toBe(200);
  });

  const aliceView = async () => {
    const r = await api('GET', `/agents/${agentId}`, alice);
    expect(r.status).toBe(200);
    return r.body.agent as Record<string, unknown>;
  };

  it('the owner reads, updates and heartbeats it', async () => {
    expect((await aliceView()).agent_type).toBe(agentType);
    expect((await api('PUT', `/agents/${agentId}/status`, alice, { status: 'active', load_metrics: loadMetrics })).status).toBe(200);
    expect((await api('POST', `/agents/${agentId}/heartbeat`, alice, {})).status).toBe(200);
    const found = await api('POST', '/agents/discover', alice, { agent_type: agentType });
    expect([found.status, found.body.count]).toEqual([200, 1]);
  });

  it('bob and an API-key caller get 404 on GET, PUT status, heartbeat and DELETE; the agent is unchanged', async () => {
    const before = await aliceView();
    await expectHiddenFromOthers([
      ['GET', `/agents/${agentId}`],
      ['PUT', `/agents/${agentId}/status`, { status: 'inactive', load_metrics: { cpu_usage: 0.99 } }],
      ['POST', `/agents/${agentId}/heartbeat`, { status: 'busy', load_metrics: { cpu_usage: 0.99 } }],
      ['POST', `/agents/${agentId}/heartbeat`, {}],
      ['DELETE', `/agents/${agentId}`],
    ]);
    const after = await aliceView();
    expect(after.status).toBe('active');
    expect(after.load_metrics).toEqual(before.load_metrics);
    expect(after.last_heartbeat).toBe(before.last_heartbeat);
    expect(after.metadata).toEqual({ note: 'alice' });
  });

  it('discover does not list it to another caller', async () => {
    for (const [who, headers] of others()) {
      for (const q of [{ agent_type: agentType }, { capabilities: ['bola'] }, {}]) {
        const r = await api('POST', '/agents/discover', headers, q);
        expect([who, r.status]).toEqual([who, 200]);
        expect((r.body.agents as { agent_id: string }[]).map((a) => a.agent_id)).not.toContain(agentId);
      }
      const typed = await api('POST', '/agents/discover', headers, { agent_type: agentType });
      expect([who, typed.body.count]).toEqual([who, 0]);
    }
  });

  it('re-registering alice’s agent id as another caller is 409 and does not take it over', async () => {
    for (const [who, headers] of others()) {
      const r = await api('POST', '/agents/register', headers, { agent_id: agentId, agent_type: 'hijack', endpoints: { http: 'http://127.0.0.1:9/steal' } });
      expect([who, r.status]).toEqual([who, 409]);
      expect(JSON.stringify(r.body)).not.toContain(agentType);
    }
    const after = await aliceView();
    expect(after.agent_type).toBe(agentType);
    expect(after.endpoints).toEqual({});
  });

  it('mass assignment: unknown fields on register, status and heartbeat are 422', async () => {
    for (const extra of [{ owner: 'bob' }, { principal: { type: 'jwt', sub: 'bob' } }, { shared: true }]) {
      const reg = await api('POST', '/agents/register', alice, { agent_id: uniq('ma-agent'), agent_type: 'x', ...extra });
      expect([extra, reg.status]).toEqual([extra, 422]);
      expect(Array.isArray(reg.body.detail)).toBe(true);
      const st = await api('PUT', `/agents/${agentId}/status`, alice, { status: 'active', ...extra });
      expect([extra, st.status]).toEqual([extra, 422]);
      const hb = await api('POST', `/agents/${agentId}/heartbeat`, alice, { ...extra });
      expect([extra, hb.status]).toEqual([extra, 422]);
      const disc = await api('POST', '/agents/discover', alice, { ...extra });
      expect([extra, disc.status]).toEqual([extra, 422]);
    }
    expect((await aliceView()).status).toBe('active');
  });
});

describe('tasks: another caller gets 404 for alice’s task and cannot clear her queue', () => {
  // A requirement no agent meets (not even shared job-runner workers in the shared database): the task stays queued.
  const requirements = { agent_type: uniq('nobody') };
  let taskId: string;

  const aliceTask = async () => {
    const r = await api('GET', `/tasks/${taskId}`, alice);
    expect(r.status).toBe(200);
    return r.body.task as Record<string, unknown>;
  };

  beforeAll(async () => {
    const r = await api('POST', '/tasks/submit', alice, { task_data: { task_type: 'bola', prompt: 'alice secret' }, priority: 'low', requirements });
    expect(r.status).toBe(200);
    taskId = r.body.task_id as string;
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('the owner reads it', async () => {
    expect((await aliceTask()).status).toBe('queued');
  });

  it('bob and an API-key caller get 404 on GET /tasks/{id}', async () => {
    await expectHiddenFromOthers([['GET', `/tasks/${taskId}`]]);
    for (const [, headers] of others()) {
      const r = await api('GET', `/tasks/${taskId}`, headers);
      expect(JSON.stringify(r.body)).not.toContain('alice secret');
    }
  });

  it('clear is scoped to the caller: another caller’s clear leaves alice’s task queued', async () => {
    for (const [who, headers] of others()) {
      const r = await api('POST', '/tasks/queues/low/clear', headers);
      expect([who, r.status, r.body.cleared]).toEqual([who, 200, 0]);
    }
    expect((await aliceTask()).status).toBe('queued');
    // The queue figures of another caller do not count alice's task.
    for (const [who, headers] of others()) {
      const q = await api('GET', '/tasks/queues/stats', headers);
      expect([who, q.status]).toEqual([who, 200]);
      expect(JSON.stringify(q.body)).not.toContain(taskId);
    }
  });

  it('mass assignment: unknown fields on submit are 422', async () => {
    for (const extra of [{ owner: 'bob' }, { principal: { type: 'jwt', sub: 'bob' } }, { status: 'completed' }, { task_id: taskId }]) {
      const r = await api('POST', '/tasks/submit', alice, { task_data: { task_type: 'bola' }, priority: 'low', requirements, ...extra });
      expect([extra, r.status]).toEqual([extra, 422]);
      expect(Array.isArray(r.body.detail)).toBe(true);
    }
    const nested = await api('POST', '/tasks/submit', alice, {
      task_data: { task_type: 'bola' },
      priority: 'low',
      requirements: { ...requirements, owner: 'bob' },
    });
    expect(nested.status).toBe(422);
  });

  it('the owner can clear her own queue (the route works; the 0 above is scoping)', async () => {
    const r = await api('POST', '/tasks/queues/low/clear', alice);
    expect(r.status).toBe(200);
    expect(r.body.cleared as number).toBeGreaterThanOrEqual(1);
    expect((await aliceTask()).status).toBe('cancelled');
  });
});

describe('knowledge: another caller gets 404 for alice’s collection and documents', () => {
  const name = uniq('bola-col').toLowerCase();
  const text = 'Ocean thermal energy conversion uses the temperature difference between warm surface water and cold deep water.';
  let docId: string;

  const upload = (headers: Headers, collection: string, extra: Record<string, string> = {}) => {
    const form = new FormData();
    form.append('collection_name', collection);
    for (const [k, v] of Object.entries(extra)) form.append(k, v);
    form.append('files', new Blob([text], { type: 'text/plain' }), 'otec.txt');
    return api('POST', '/v1/documents', headers, form);
  };
  const aliceDoc = async () => {
    const r = await api('GET', `/v1/documents/${docId}`, alice);
    expect(r.status).toBe(200);
    return r.body;
  };
  const aliceCollection = async () => {
    const r = await api('GET', `/v1/collections/${name}`, alice);
    expect(r.status).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    const c = await api('POST', '/v1/collections', alice, { name, description: 'alice only' });
    expect(c.status).toBe(201);
    const u = await upload(alice, name);
    expect(u.status).toBe(202);
    docId = (u.body.documents as { document_id: string }[])[0].document_id;
    await until('alice’s document to be ingested', async () => {
      const d = await api('GET', `/v1/documents/${docId}`, alice);
      return d.body.status === 'ready' || d.body.status === 'failed' ? d.body : undefined;
    });
    expect((await aliceDoc()).status).toBe('ready');
  });

  it('the owner reads, lists and searches', async () => {
    expect((await aliceCollection()).document_count).toBe(1);
    const listed = await api('GET', `/v1/documents?collection_name=${name}`, alice);
    expect([listed.status, listed.body.total]).toEqual([200, 1]);
    const s = await api('POST', `/v1/collections/${name}/search`, alice, { query: 'thermal energy' });
    expect(s.status).toBe(200);
    expect((s.body.results as unknown[]).length).toBeGreaterThan(0);
  });

  it('bob and an API-key caller get 404 on every collection and document route', async () => {
    const before = { doc: await aliceDoc(), col: await aliceCollection() };
    await expectHiddenFromOthers([
      ['GET', `/v1/collections/${name}`],
      ['POST', `/v1/collections/${name}/search`, { query: 'thermal energy' }],
      ['GET', `/v1/documents/${docId}`],
      ['GET', `/v1/documents?collection_name=${name}`],
      ['DELETE', `/v1/documents/${docId}`],
      ['DELETE', `/v1/collections/${name}`],
    ]);
    // Uploading into alice's collection by name: it is not theirs, so 404 before anything is stored.
    for (const [who, headers] of others()) {
      const r = await upload(headers, name);
      expect([who, r.status]).toEqual([who, 404]);
    }
    expect(await aliceDoc()).toEqual(before.doc);
    const col = await aliceCollection();
    expect([col.document_count, col.description, col.created_at]).toEqual([1, 'alice only', before.col.created_at]);
    const listed = await api('GET', `/v1/documents?collection_name=${name}`, alice);
    expect(listed.body.total).toBe(1);
  });

  it('listings of another caller are empty of alice’s things', async () => {
    for (const [who, headers] of others()) {
      const docs = await api('GET', '/v1/documents?limit=500', headers);
      expect([who, docs.status]).toEqual([who, 200]);
      expect((docs.body.documents as { document_id: string }[]).map((d) => d.document_id)).not.toContain(docId);
      const cols = await api('GET', '/v1/collections', headers);
      expect([who, cols.status]).toEqual([who, 200]);
      expect((cols.body.collections as { name: string }[]).map((c) => c.name)).not.toContain(name);
    }
  });

  it('another caller may create the same name: a separate collection, alice’s untouched', async () => {
    expect((await api('POST', '/v1/collections', bob, { name, description: 'bob' })).status).toBe(201);
    const bobs = await api('GET', `/v1/collections/${name}`, bob);
    expect([bobs.body.description, bobs.body.document_count]).toEqual(['bob', 0]);
    const s = await api('POST', `/v1/collections/${name}/search`, bob, { query: 'thermal energy' });
    expect([s.status, s.body.results]).toEqual([200, []]);
    expect((await api('DELETE', `/v1/collections/${name}`, bob)).status).toBe(200);
    expect((await aliceCollection()).document_count).toBe(1);
    expect((await aliceDoc()).status).toBe('ready');
  });

  it('mass assignment: unknown fields on collection create, search and upload are 422', async () => {
    for (const extra of [{ owner: 'bob' }, { principal: { type: 'jwt', sub: 'bob' } }, { id: '00000000-0000-0000-0000-000000000000' }]) {
      const c = await api('POST', '/v1/collections', alice, { name: uniq('ma').toLowerCase(), ...extra });
      expect([extra, c.status]).toEqual([extra, 422]);
      expect(Array.isArray(c.body.detail)).toBe(true);
      const s = await api('POST', `/v1/collections/${name}/search`, alice, { query: 'thermal', ...extra });
      expect([extra, s.status]).toEqual([extra, 422]);
    }
    for (const field of ['owner', 'principal', 'status']) {
      const r = await upload(alice, name, { [field]: 'bob' });
      expect([field, r.status]).toEqual([field, 422]);
    }
    expect((await aliceCollection()).document_count).toBe(1);
  });

  it('the owner deletes the document and the collection (the routes work; the 404s above are scoping)', async () => {
    expect((await api('DELETE', `/v1/documents/${docId}`, alice)).status).toBe(200);
    expect((await api('GET', `/v1/documents/${docId}`, alice)).status).toBe(404);
    const r = await api('DELETE', `/v1/collections/${name}`, alice);
    expect([r.status, r.body.deleted]).toEqual([200, true]);
  });
});

describe('after all that', () => {
  it('every service is still up', async () => {
    for (const p of [gw, coordinator, ingestor]) {
      expect(p.alive).toBe(true);
      expect((await fetch(`${p.url}/health`)).status).toBe(200);
    }
  });
});
