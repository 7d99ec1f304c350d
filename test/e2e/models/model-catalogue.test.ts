import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appEntry } from '../../../scripts/lib/stack.mjs';
import { json } from '../../support/http';
import { MockLlm } from '../../support/mock-llm';
import { startSuite, testEnv, type Suite } from '../../support/services';
import { logged, readSse } from '../../support/sse';

/**
 * The job-runner with `LLM_MODELS_FILE`: agents run on the catalogue's default model and report what
 * each call cost; a bad file stops the process at start-up naming its problems.
 */
describe('model catalogue (e2e)', () => {
  const llm = new MockLlm();
  const dir = mkdtempSync(join(tmpdir(), 'models-e2e-'));
  let suite: Suite;
  let api: string;

  beforeAll(async () => {
    const url = await llm.start();
    const file = join(dir, 'models.yaml');
    writeFileSync(
      file,
      [
        'default: writer',
        'models:',
        '  - { name: cheap, model: mock-cheap, tier: 1, price_input_per_m: 1, price_output_per_m: 1 }',
        `  - { name: writer, model: mock-writer, base_url: "${url}", api_key_env: MOCK_LLM_KEY, tier: 2, price_input_per_m: 3, price_output_per_m: 12 }`,
      ].join('\n'),
    );
    // LLM_BASE_URL points nowhere: the file's own base_url must be the one used.
    const env = { LLM_MODELS_FILE: file, LLM_BASE_URL: 'http://127.0.0.1:9/v1', MOCK_LLM_KEY: 'k', RATE_LIMIT_PER_MINUTE: '100000' };
    suite = await startSuite({ basePort: 18400, apps: ['gateway', 'job-runner'], env });
    api = `${suite.gatewayUrl}/v1/jobs/async`;
  }, 120_000);

  afterAll(async () => {
    await suite?.stop();
    await llm.stop();
  }, 30_000);

  it("runs a researcher on the default model and puts the call's usage and cost in llm.end", async () => {
    const submitted = await json<{ job_id: string }>(`${api}/submit`, {
      method: 'POST',
      body: { agent_type: 'shallow_researcher', input: 'priced question [[tokens=6]]' },
    });
    expect(submitted.status).toBe(200);
    const frames = logged((await readSse(`${api}/job/${submitted.body.job_id}/stream`)).frames);
    const events = frames.map((f) => JSON.parse(f.data) as { type: string; data: Record<string, unknown> });
    expect(events.at(-1)?.data.status).toBe('success');
    const call = llm.calls.find((c) => c.messages.some((m) => m.content.includes('priced question')))!;
    expect(call).toMatchObject({ model: 'mock-writer', stream: true, stream_options: { include_usage: true } });
    expect(call.usage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: 6 });
    const end = events.find((e) => e.type === 'llm.end')!;
    expect(end.data).toMatchObject({ model: 'writer', step: 'answer', usage: { ...call.usage, estimated: false } });
    expect(end.data.cost).toBeCloseTo((call.usage!.prompt_tokens * 3 + 6 * 12) / 1e6, 12);
  });

  it('a bad LLM_MODELS_FILE stops the job-runner at start-up, naming each problem', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'models:\n  - { name: a, tier: 5 }\n  - { name: b, tier: 1, api_key_env: NOT_SET_ANYWHERE }\n');
    const env = { ...testEnv({ LLM_MODELS_FILE: bad, JOB_RUNNER_PORT: '18409' }) };
    delete env.NOT_SET_ANYWHERE;
    const run = spawnSync(process.execPath, [appEntry('job-runner')], { env, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`LLM_MODELS_FILE=${bad}: invalid model catalogue`);
    expect(run.stderr).toContain('models[0] (a).tier: must be 1, 2 or 3 (got 5)');
    expect(run.stderr).toContain('models[1] (b).api_key_env: names NOT_SET_ANYWHERE, which is unset or empty');
  });
});
