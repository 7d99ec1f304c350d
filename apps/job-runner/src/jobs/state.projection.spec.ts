import { describe, expect, it } from '@jest/globals';
import type { JobEvent } from '@platform/contracts';
import { projectState } from './state.projection';

const ev = (seq: number, type: JobEvent['type'], data: Record<string, unknown>): JobEvent => ({ seq, type, timestamp: '', data });

describe('projectState', () => {
  it('folds todos, sources, citations, tool calls and output from the log', () => {
    const s = projectState([
      ev(1, 'job.status', { status: 'running' }),
      ev(2, 'artifact.update', { type: 'todo', content: [{ id: 1, status: 'pending' }] }),
      ev(3, 'tool.start', { name: 'knowledge_search', input: { q: 'x' } }),
      ev(4, 'tool.end', { name: 'knowledge_search', output: [1] }),
      ev(5, 'artifact.update', { type: 'citation_source', content: 'a.md' }),
      ev(6, 'artifact.update', { type: 'citation_use', content: 'a.md' }),
      ev(7, 'artifact.update', { type: 'citation_use', content: 'a.md' }),
      ev(8, 'artifact.update', { type: 'todo', content: [{ id: 1, status: 'completed' }] }),
      ev(9, 'artifact.update', { type: 'output', content: 'report' }),
      ev(10, 'job.error', { message: 'boom' }),
    ]);
    expect(s.todos).toEqual([{ id: 1, status: 'completed' }]);
    expect(s.tool_calls).toEqual([{ name: 'knowledge_search', input: { q: 'x' }, output: [1], error: undefined, done: true }]);
    expect(s.sources).toHaveLength(1);
    expect(s.citations).toEqual(['a.md']);
    expect(s.output).toBe('report');
    expect(s.errors).toEqual(['boom']);
    expect(s.last_event_id).toBe(10);
  });
});
