import { describe, expect, it } from '@jest/globals';
import { applyFrame, frameLine, frameText, graphColumns, initialJob, outputMarkdown, type Frame, type JobLive } from './state';

let seq = 0;
const ev = (event: string, data: Record<string, unknown>, ts = `2026-01-01T00:00:${String(seq % 60).padStart(2, '0')}.000Z`): Frame => ({
  id: ++seq,
  event,
  data: JSON.stringify({ type: event, timestamp: ts, data }),
});
const fold = (frames: Frame[], from: JobLive = initialJob()): JobLive => frames.reduce(applyFrame, from);

describe('console job state (event → view state)', () => {
  it('folds a research run: status, todos ticking, tokens, sources, citations, tools with durations, stages, output', () => {
    seq = 0;
    const s = fold([
      ev('job.status', { status: 'submitted' }),
      ev('job.status', { status: 'running', attempt: 1 }),
      ev('workflow.start', { name: 'deep_researcher' }),
      ev('artifact.update', {
        type: 'todo',
        content: [
          { id: 1, task: 'Look it up', status: 'pending' },
          { id: 2, task: 'Write', status: 'pending' },
        ],
      }),
      ev('artifact.update', {
        type: 'todo',
        content: [
          { id: 1, task: 'Look it up', status: 'completed' },
          { id: 2, task: 'Write', status: 'in_progress' },
        ],
      }),
      ev('tool.start', { name: 'knowledge_search', input: { query: 'q' } }, '2026-01-01T00:00:10.000Z'),
      ev('tool.end', { name: 'knowledge_search', input: { query: 'q' }, output: [{ filename: 'a.txt' }] }, '2026-01-01T00:00:10.250Z'),
      ev('artifact.update', { type: 'citation_source', content: 'a.txt', document_id: 'd1', collection_name: 'c', chunk_index: 0, score: 0.5 }),
      ev('artifact.update', { type: 'citation_source', content: 'a.txt', document_id: 'd1', collection_name: 'c', chunk_index: 0, score: 0.5 }),
      ev('llm.start', { model: 'm', step: 'report' }),
      ev('llm.chunk', { content: 'Hello ', step: 'report' }),
      ev('llm.chunk', { content: 'world', step: 'report' }),
      ev('llm.end', { model: 'm', step: 'report', usage: { prompt_tokens: 3, completion_tokens: 2 }, cost: 0.001 }),
      ev('artifact.update', { type: 'citation_use', content: 'a.txt' }),
      ev('workflow.end', { name: 'deep_researcher' }),
    ]);
    expect(s.status).toBe('running');
    expect(s.attempt).toBe(1);
    expect(s.todos.map((t) => t.status)).toEqual(['completed', 'in_progress']);
    expect(s.tools).toHaveLength(1);
    expect(s.tools[0]).toMatchObject({ name: 'knowledge_search', done: true, ms: 250 });
    expect(s.sources).toHaveLength(1); // the same chunk twice is one source
    expect(s.sources[0]).toMatchObject({ name: 'a.txt', cited: true, anchor: 'source-1' });
    expect(s.citations).toEqual(['a.txt']);
    expect(s.steps[0]).toMatchObject({ step: 'report', text: 'Hello world', done: true, cost: 0.001 });
    expect(outputMarkdown(s)).toBe('Hello world');
    expect(s.stages).toEqual([expect.objectContaining({ name: 'deep_researcher', done: true })]);
    const done = fold([ev('artifact.update', { type: 'output', content: '# Report' }), ev('job.status', { status: 'success' })], s);
    expect(outputMarkdown(done)).toBe('# Report');
    expect(done.status).toBe('success');
    expect(done.lastId).toBe(seq);
  });

  it('drops a frame whose id is not above the last one (an overlapping resume) and counts it', () => {
    seq = 0;
    const a = ev('job.status', { status: 'running' });
    const b = ev('llm.chunk', { content: 'x' });
    const s = fold([a, b, b, a]);
    expect(s.frames.map((f) => f.id)).toEqual([1, 2]);
    expect(s.duplicates).toBe(2);
    expect(outputMarkdown(s)).toBe('x');
  });

  it('ignores generated frames without an id (stream.mode) for the job state', () => {
    const s0 = initialJob();
    expect(applyFrame(s0, { id: null, event: 'stream.mode', data: '{"mode":"live"}' })).toBe(s0);
  });

  it('records errors and a retried attempt', () => {
    seq = 0;
    const s = fold([
      ev('job.status', { status: 'running', attempt: 1 }),
      ev('job.status', { status: 'running', attempt: 2, retried: true }),
      ev('job.error', { message: 'model down' }),
    ]);
    expect(s.attempt).toBe(2);
    expect(s.statuses[1]).toMatchObject({ retried: true, attempt: 2 });
    expect(s.errors).toEqual(['model down']);
  });

  it('writes frames back exactly as the SSE wire format', () => {
    const f: Frame = { id: 7, event: 'llm.chunk', data: '{"a":1}' };
    expect(frameText(f)).toBe('id: 7\nevent: llm.chunk\ndata: {"a":1}\n\n');
    expect(frameLine(f)).toBe('#7 llm.chunk {"a":1}');
  });

  it('lays a subtask graph out in columns by dependency depth', () => {
    const t = (index: number, depends_on: number[]) => ({ index, depends_on });
    const cols = graphColumns([t(2, [0, 1]), t(0, []), t(1, []), t(3, [2])]);
    expect(cols.map((c) => c.map((x) => x.index))).toEqual([[0, 1], [2], [3]]);
  });
});
