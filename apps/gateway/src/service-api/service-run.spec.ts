import { describe, expect, it } from '@jest/globals';
import { HttpException } from '@nestjs/common';
import { JOB_STATUSES, type JobEvent, type JobEventType } from '@platform/contracts';
import { foldSteps, INPUT_KEYS, newRequestId, requestId, serviceInput, STATE_BY_STATUS } from './service-run';
import { serviceRunFormat } from './service-stream.format';

let seq = 0;
const ev = (type: JobEventType, data: Record<string, unknown> = {}): JobEvent => ({ seq: ++seq, type, timestamp: 't', data });
const failure = (fn: () => unknown): { status: number; detail: unknown } => {
  try {
    fn();
  } catch (err) {
    const e = err as HttpException;
    return { status: e.getStatus(), detail: (e.getResponse() as { detail: unknown }).detail };
  }
  throw new Error('expected a failure');
};

describe('service run mapping', () => {
  it("maps every job status onto the original's task states", () => {
    expect(STATE_BY_STATUS).toEqual({ submitted: 'init', running: 'running', success: 'finished', failure: 'fail', interrupted: 'canceled' });
    expect(Object.keys(STATE_BY_STATUS).sort()).toEqual([...JOB_STATUSES].sort());
  });

  it('makes request ids of 32 lowercase hex characters and answers 404 for any other', () => {
    const id = newRequestId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(requestId(id)).toBe(id);
    for (const bad of [id.toUpperCase(), `${id}0`, 'x', '', ['a'], undefined]) expect(failure(() => requestId(bad)).status).toBe(404);
    expect(failure(() => requestId('nope')).detail).toBe('request nope not found');
  });

  it('reads the input from the first present key of input, query, question, query_content, request', () => {
    expect(INPUT_KEYS).toEqual(['input', 'query', 'question', 'query_content', 'request']);
    expect(serviceInput({ input: 'a', query: 'b' }).input).toBe('a');
    expect(serviceInput({ request: 'e', question: 'c' }).input).toBe('c');
    expect(serviceInput({ input: null, query_content: 'd' }).input).toBe('d');
    const params = { query: 'q', temperature: 0.2, collections: ['docs'] };
    expect(serviceInput(params)).toEqual({ input: 'q', options: params }); // the whole params object is the options
  });

  it('refuses params without a usable input, naming the field', () => {
    expect(failure(() => serviceInput({ foo: 'x' }))).toEqual({ status: 422, detail: expect.stringMatching(/^params must contain .*input, query/) });
    expect(failure(() => serviceInput({ input: 42 })).detail).toBe('params.input must be a non-empty string');
    expect(failure(() => serviceInput({ question: '' })).detail).toBe('params.question must be a non-empty string');
    expect(failure(() => serviceInput({ input: 'x'.repeat(200_001) })).detail).toMatch(/^params.input must be at most/);
    expect(failure(() => serviceInput({ input: 'x', collections: 'docs' })).detail).toMatch(/^params.collections /);
    expect(failure(() => serviceInput({ input: 'x', collections: [''] })).detail).toMatch(/^params.collections /);
  });
});

describe('foldSteps', () => {
  it('folds a model call into one step with its whole text, and skips statuses and artifacts', () => {
    const log = [
      ev('job.status', { status: 'submitted' }),
      ev('job.status', { status: 'running', attempt: 1 }),
      ev('workflow.start', { name: 'echo' }),
      ev('llm.start', { model: 'echo' }),
      ev('llm.chunk', { content: 'Your ' }),
      ev('llm.chunk', { content: 'input ' }),
      ev('llm.chunk', { content: 'is Hello!.' }),
      ev('llm.end', { model: 'echo' }),
      ev('artifact.update', { type: 'output', content: 'Your input is Hello!.' }),
      ev('workflow.end', { name: 'echo' }),
      ev('job.status', { status: 'success' }),
    ];
    expect(foldSteps(log)).toEqual([
      { type: 'workflow', name: 'echo', done: true },
      { type: 'llm', model: 'echo', text: 'Your input is Hello!.', done: true },
    ]);
  });

  it('keeps tool calls with their input and output, nested stages and separate model calls, in start order', () => {
    const log = [
      ev('workflow.start', { name: 'deep_researcher' }),
      ev('workflow.start', { name: 'research_loop', loop: 1, question: 'q1' }),
      ev('tool.start', { name: 'knowledge_search', input: { query: 'q1' } }),
      ev('tool.end', { name: 'knowledge_search', input: { query: 'q1' }, output: [{ text: 'hit' }] }),
      ev('llm.start', { model: 'm', step: 'loop-1' }),
      ev('llm.chunk', { content: 'a', step: 'loop-1' }),
      ev('llm.chunk', { content: 'b', step: 'loop-1' }),
      ev('llm.end', { model: 'm', step: 'loop-1', length: 2 }),
      ev('workflow.end', { name: 'research_loop', loop: 1 }),
      ev('tool.start', { name: 'knowledge_search', input: { query: 'q2' } }),
      ev('tool.end', { name: 'knowledge_search', input: { query: 'q2' }, error: 'down', output: [] }),
      ev('llm.start', { model: 'm', step: 'report' }),
      ev('llm.chunk', { content: 'report', step: 'report' }),
    ];
    expect(foldSteps(log)).toEqual([
      { type: 'workflow', name: 'deep_researcher', done: false },
      { type: 'workflow', name: 'research_loop', loop: 1, question: 'q1', done: true },
      { type: 'tool', name: 'knowledge_search', input: { query: 'q1' }, output: [{ text: 'hit' }], done: true },
      { type: 'llm', model: 'm', step: 'loop-1', text: 'ab', done: true },
      { type: 'tool', name: 'knowledge_search', input: { query: 'q2' }, output: [], error: 'down', done: true },
      { type: 'llm', model: 'm', step: 'report', text: 'report', done: false }, // still running
    ]);
  });

  it('copes with ends and chunks whose start it never saw, and lists errors', () => {
    const log = [ev('llm.chunk', { content: 'x' }), ev('tool.end', { name: 't', output: 1 }), ev('job.error', { message: 'boom' })];
    expect(foldSteps(log)).toEqual([
      { type: 'llm', text: 'x', done: false },
      { type: 'tool', name: 't', input: undefined, output: 1, done: true },
      { type: 'error', message: 'boom' },
    ]);
  });
});

describe('service_run_stream frames', () => {
  const format = serviceRunFormat(async () => 'Your input is Hello!.');
  const text = (e: JobEvent) => format.frame(e)?.text;

  it('sends a token as its text, any other step as the event object, and nothing for statuses', () => {
    const chunk = ev('llm.chunk', { content: 'Your ' });
    expect(text(chunk)).toBe(`id: ${chunk.seq}\ndata:{"process":"Your "}\n\n`);
    const start = ev('workflow.start', { name: 'echo' });
    expect(text(start)).toBe(`id: ${start.seq}\ndata:{"process":{"type":"workflow.start","timestamp":"t","data":{"name":"echo"}}}\n\n`);
    expect(format.frame(ev('job.status', { status: 'running' }))).toBeNull();
    expect(format.frame(ev('job.error', { message: 'x' }))).toBeNull();
    expect(format.liveMode).toBeNull();
  });

  it('ends with the result, or with the error, under the terminal id', async () => {
    const done = ev('job.status', { status: 'success' });
    expect((await format.ending!(done))?.text).toBe(`id: ${done.seq}\ndata:{"result":"Your input is Hello!."}\n\n`);
    const failed = ev('job.status', { status: 'failure', error: 'model down' });
    expect((await format.ending!(failed))?.text).toBe(`id: ${failed.seq}\ndata:{"error":{"error_msg":"model down"}}\n\n`);
    const cancelled = ev('job.status', { status: 'interrupted', error: 'Cancelled by request' });
    expect((await format.ending!(cancelled))?.text).toContain('"error_msg":"Cancelled by request"');
  });
});
