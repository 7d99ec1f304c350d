import type { JobEvent } from '@platform/contracts';

export interface JobUiState {
  todos: unknown[];
  sources: Record<string, unknown>[];
  citations: string[];
  files: Record<string, unknown>[];
  tool_calls: { name: unknown; input: unknown; output?: unknown; error?: unknown; done: boolean }[];
  output: unknown;
  errors: string[];
  workflows: { name: unknown; done: boolean }[];
  last_event_id: number;
}

/** Folds a job's event log into the current UI state (todos, sources, tool calls, output) — what a console shows. */
export function projectState(events: JobEvent[]): JobUiState {
  const s: JobUiState = { todos: [], sources: [], citations: [], files: [], tool_calls: [], output: null, errors: [], workflows: [], last_event_id: 0 };
  for (const e of events) {
    s.last_event_id = e.seq;
    const d = e.data;
    switch (e.type) {
      case 'artifact.update':
        if (d.type === 'todo') s.todos = Array.isArray(d.content) ? d.content : [d.content];
        else if (d.type === 'citation_source') s.sources.push(d);
        else if (d.type === 'citation_use' && !s.citations.includes(String(d.content))) s.citations.push(String(d.content));
        else if (d.type === 'file') s.files.push(d);
        else if (d.type === 'output') s.output = d.content;
        break;
      case 'tool.start':
        s.tool_calls.push({ name: d.name, input: d.input, done: false });
        break;
      case 'tool.end': {
        const open = [...s.tool_calls].reverse().find((t) => !t.done && t.name === d.name);
        if (open) Object.assign(open, { output: d.output, error: d.error, done: true });
        else s.tool_calls.push({ name: d.name, input: d.input, output: d.output, error: d.error, done: true });
        break;
      }
      case 'workflow.start':
        s.workflows.push({ name: d.name, done: false });
        break;
      case 'workflow.end': {
        const open = [...s.workflows].reverse().find((w) => !w.done && w.name === d.name);
        if (open) open.done = true;
        break;
      }
      case 'job.error':
        s.errors.push(String(d.message ?? d.error ?? 'error'));
        break;
      default:
        break;
    }
  }
  return s;
}
