import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, json } from '../../support/http';
import { startService, startSuite, type Suite } from '../../support/services';

interface Ready {
  status: string;
  dependencies: Record<string, string>;
  services: Record<string, { status: string; dependencies?: Record<string, string> }>;
}

/** The four services booted as processes: the gateway's readiness reflects every one of them. */
describe('platform health (e2e)', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await startSuite({ basePort: 18000 });
  }, 120_000);

  afterAll(async () => {
    await suite?.stop();
  }, 30_000);

  it('answers /health in the agent coordinator API shape and /health/ready with every service up', async () => {
    const health = await json<Record<string, string>>(`${suite.gatewayUrl}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'healthy', version: expect.any(String), timestamp: expect.any(String) });
    expect(new Date(health.body.timestamp).toISOString()).toBe(health.body.timestamp);
    expect(health.headers.get('x-request-id')).toBeTruthy();

    const ready = await json<Ready>(`${suite.gatewayUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.dependencies).toEqual({ nats: 'up' });
    expect(Object.keys(ready.body.services).sort()).toEqual(['agent-coordinator', 'job-runner', 'knowledge-ingestor']);
    for (const s of Object.values(ready.body.services)) {
      expect(s.status).toBe('up');
      expect(Object.values(s.dependencies ?? {}).every((d) => d === 'up')).toBe(true);
    }
    expect(ready.body.services['job-runner'].dependencies).toEqual(expect.objectContaining({ postgres: 'up', nats: 'up', redis: 'up' }));
  });

  it('serves the debug console page', async () => {
    const res = await fetch(`${suite.gatewayUrl}/debug`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    // The page loads its bundled script from this gateway (no inline code); that script streams with EventSource.
    const script = /<script type="module" crossorigin src="(\/debug\/assets\/[^"]+\.js)"><\/script>/.exec(await res.text())?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${suite.gatewayUrl}${script}`);
    expect(js.status).toBe(200);
    expect(await js.text()).toContain('EventSource');
  });

  it('each backend serves its own probes', async () => {
    for (const name of ['job-runner', 'agent-coordinator', 'knowledge-ingestor'] as const) {
      const app = suite.app(name);
      expect((await json(`${app.url}/health`)).status).toBe(200);
      expect((await json(`${app.url}/health/ready`)).status).toBe(200);
    }
  });

  it('turns 503 when a service stops and 200 when it is back', async () => {
    await suite.app('knowledge-ingestor').stop();
    const down = await eventually(
      async () => {
        const r = await json<Ready>(`${suite.gatewayUrl}/health/ready`);
        return r.status === 503 ? r : undefined;
      },
      15_000,
      200,
    );
    expect(down.body.status).toBe('not_ready');
    expect(down.body.services['knowledge-ingestor'].status).toBe('down');
    expect(down.body.services['job-runner'].status).toBe('up');
    // Liveness does not depend on the others.
    expect((await json(`${suite.gatewayUrl}/health/live`)).status).toBe(200);

    const again = await startService('knowledge-ingestor', suite.app('knowledge-ingestor').port, suite.env);
    suite.apps.set('knowledge-ingestor', again);
    await eventually(async () => (await json(`${suite.gatewayUrl}/health/ready`)).status === 200, 20_000, 200);
  }, 60_000);

  it('shuts a service down promptly on SIGTERM', async () => {
    const runner = suite.app('job-runner');
    const started = Date.now();
    expect(await runner.stop(15_000)).toBe(true);
    expect(runner.alive).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
    suite.apps.set('job-runner', await startService('job-runner', runner.port, suite.env));
  }, 60_000);
});
