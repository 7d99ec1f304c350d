/*
 * The job view's state, folded from SSE frames: pure (no DOM, no network), so it is unit-tested on its
 * own (state.spec.ts) and the page is only a rendering of it. Frames are applied in the order they
 * arrive; a frame whose id is not above the last one applied is a duplicate (a resume that overlapped)
 * and changes nothing but the duplicate count, so the page never shows a line twice.
 */

/** One SSE frame as received: `id` is the event's seq (null for generated frames such as `stream.mode`). */
export interface Frame {
  id: number | null;
  event: string;
  data: string;
}

export interface TodoItem {
  id: string;
  task: string;
  status: string;
}

export interface Source {
  /** Anchor id within the page, so a citation links to it. */
  anchor: string;
  name: string;
  document_id?: string;
  collection?: string;
  chunk_index?: number;
  score?: number;
  cited: boolean;
}

export interface ToolCall {
  name: string;
  input: unknown;
  output?: unknown;
  error?: string;
  started: string;
  ended?: string;
  ms?: number;
  done: boolean;
}

export interface Stage {
  name: string;
  detail: string;
  depth: number;
  started: string;
  ended?: string;
  ms?: number;
  done: boolean;
}

export interface LlmStep {
  step: string;
  model: string;
  text: string;
  done: boolean;
  started: string;
  ms?: number;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  cost?: number;
}

export interface StatusChange {
  status: string;
  at: string;
  attempt?: number;
  retried?: boolean;
}

/** A child job named by the log (a compound task's subtask). */
export interface ChildJob {
  id: string;
  label: string;
  status: string;
}

export interface JobLive {
  /** The highest event id applied: where a reconnect resumes. */
  lastId: number;
  /** Event frames (with an id) in order, as received: the raw tab and "copy SSE stream". */
  frames: Frame[];
  /** Frames dropped because their id was not above lastId. */
  duplicates: number;
  status: string | null;
  attempt: number | null;
  statuses: StatusChange[];
  steps: LlmStep[];
  /** The final `output` artifact (Markdown), once written. */
  output: string | null;
  todos: TodoItem[];
  sources: Source[];
  citations: string[];
  files: { name: string; detail: unknown }[];
  tools: ToolCall[];
  stages: Stage[];
  errors: string[];
  children: ChildJob[];
  firstAt: string | null;
  lastAt: string | null;
}

export const TERMINAL = ['success', 'failure', 'interrupted'];

export function initialJob(): JobLive {
  return {
    lastId: 0,
    frames: [],
    duplicates: 0,
    status: null,
    attempt: null,
    statuses: [],
    steps: [],
    output: null,
    todos: [],
    sources: [],
    citations: [],
    files: [],
    tools: [],
    stages: [],
    errors: [],
    children: [],
    firstAt: null,
    lastAt: null,
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : v === undefined || v === null ? fallback : JSON.stringify(v));
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const ms = (from: string, to: string): number | undefined => {
  const d = Date.parse(to) - Date.parse(from);
  return Number.isFinite(d) ? d : undefined;
};

/** The exact text of a frame on the wire, as the server sent it (what "copy SSE stream" copies). */
export function frameText(f: Frame): string {
  return `${f.id !== null ? `id: ${f.id}\n` : ''}event: ${f.event}\n${f.data
    .split('\n')
    .map((l) => `data: ${l}`)
    .join('\n')}\n\n`;
}

/** One line per event frame: what the raw tab shows and what tests compare between a resumed page and a fresh replay. */
export function frameLine(f: Frame): string {
  return `#${f.id ?? '-'} ${f.event} ${f.data}`;
}

/**
 * Applies one frame. Returns a new top-level object when anything changed (the arrays inside are
 * appended to in place: the frame log is append-only), the same object for a frame without effect.
 */
export function applyFrame(prev: JobLive, f: Frame): JobLive {
  if (f.id === null) return prev; // stream.mode and other generated frames: connection state, not job state
  if (f.id <= prev.lastId) return { ...prev, duplicates: prev.duplicates + 1 };
  const s: JobLive = { ...prev, lastId: f.id };
  s.frames.push(f);
  let body: Obj;
  try {
    const parsed: unknown = JSON.parse(f.data);
    body = isObj(parsed) ? parsed : {};
  } catch {
    s.errors = [...s.errors, `frame ${f.id}: data is not JSON`];
    return s;
  }
  const d = isObj(body.data) ? body.data : {};
  const at = str(body.timestamp, s.lastAt ?? '');
  s.firstAt ??= at;
  s.lastAt = at;
  switch (f.event) {
    case 'job.status': {
      const status = str(d.status, 'unknown');
      const attempt = num(d.attempt);
      s.status = status;
      if (attempt !== undefined) s.attempt = attempt;
      s.statuses = [...s.statuses, { status, at, attempt, retried: d.retried === true ? true : undefined }];
      if (TERMINAL.includes(status) && typeof d.error === 'string') s.errors = [...s.errors, d.error];
      break;
    }
    case 'job.error':
      s.errors = [...s.errors, str(d.message ?? d.error, 'error')];
      break;
    case 'llm.start':
      s.steps = [...s.steps, { step: str(d.step, `call ${s.steps.length + 1}`), model: str(d.model), text: '', done: false, started: at }];
      break;
    case 'llm.chunk': {
      const step = str(d.step);
      const steps = [...s.steps];
      let i = findLast(steps, (x) => !x.done && (step === '' || x.step === step));
      if (i < 0) {
        steps.push({ step: step || `call ${steps.length + 1}`, model: '', text: '', done: false, started: at });
        i = steps.length - 1;
      }
      steps[i] = { ...steps[i], text: steps[i].text + str(d.content) };
      s.steps = steps;
      break;
    }
    case 'llm.end': {
      const step = str(d.step);
      const steps = [...s.steps];
      const i = findLast(steps, (x) => !x.done && (step === '' || x.step === step));
      if (i >= 0) {
        const usage = isObj(d.usage) ? (d.usage as LlmStep['usage']) : undefined;
        steps[i] = { ...steps[i], done: true, ms: ms(steps[i].started, at), usage, cost: num(d.cost) };
        s.steps = steps;
      }
      break;
    }
    case 'tool.start':
      s.tools = [...s.tools, { name: str(d.name, 'tool'), input: d.input, started: at, done: false }];
      break;
    case 'tool.end': {
      const tools = [...s.tools];
      const i = findLast(tools, (t) => !t.done && t.name === str(d.name, 'tool'));
      const end = { output: d.output, error: typeof d.error === 'string' ? d.error : undefined, ended: at, done: true };
      if (i >= 0) tools[i] = { ...tools[i], ...end, ms: ms(tools[i].started, at) };
      else tools.push({ name: str(d.name, 'tool'), input: d.input, started: at, ...end });
      s.tools = tools;
      break;
    }
    case 'workflow.start': {
      const open = s.stages.filter((x) => !x.done).length;
      const detail = Object.entries(d)
        .filter(([k]) => k !== 'name')
        .map(([k, v]) => `${k}: ${str(v)}`)
        .join(', ');
      s.stages = [...s.stages, { name: str(d.name, 'stage'), detail, depth: open, started: at, done: false }];
      break;
    }
    case 'workflow.end': {
      const stages = [...s.stages];
      const i = findLast(stages, (x) => !x.done && x.name === str(d.name, 'stage'));
      if (i >= 0) {
        stages[i] = { ...stages[i], done: true, ended: at, ms: ms(stages[i].started, at) };
        s.stages = stages;
      }
      break;
    }
    case 'artifact.update':
      applyArtifact(s, d);
      break;
    case 'task.plan':
    case 'task.subtask':
      applyTaskEvent(s, f.event, d);
      break;
    default:
      break;
  }
  return s;
}

function applyArtifact(s: JobLive, d: Obj): void {
  switch (d.type) {
    case 'todo': {
      const items = Array.isArray(d.content) ? d.content : [d.content];
      s.todos = items.map((t, i) =>
        isObj(t)
          ? { id: str(t.id, String(i + 1)), task: str(t.task ?? t.content ?? t.title ?? t.description), status: str(t.status, 'pending') }
          : { id: String(i + 1), task: str(t), status: 'pending' },
      );
      break;
    }
    case 'citation_source': {
      const name = str(d.content, 'source');
      const key = `${str(d.document_id)}:${str(d.chunk_index)}:${name}`;
      if (s.sources.some((x) => `${x.document_id ?? ''}:${x.chunk_index ?? ''}:${x.name}` === key)) break;
      s.sources = [
        ...s.sources,
        {
          anchor: `source-${s.sources.length + 1}`,
          name,
          document_id: typeof d.document_id === 'string' ? d.document_id : undefined,
          collection: typeof d.collection_name === 'string' ? d.collection_name : undefined,
          chunk_index: num(d.chunk_index),
          score: num(d.score),
          cited: s.citations.includes(name),
        },
      ];
      break;
    }
    case 'citation_use': {
      const name = str(d.content);
      if (!s.citations.includes(name)) s.citations = [...s.citations, name];
      s.sources = s.sources.map((x) => (x.name === name ? { ...x, cited: true } : x));
      break;
    }
    case 'file':
      s.files = [...s.files, { name: str(d.content ?? d.name, 'file'), detail: d }];
      break;
    case 'output':
      s.output = str(d.content);
      break;
    default:
      break;
  }
}

function applyTaskEvent(s: JobLive, type: string, d: Obj): void {
  if (type === 'task.plan') {
    const subtasks = Array.isArray(d.subtasks) ? d.subtasks : [];
    s.children = subtasks.map((t, i) => {
      const o = isObj(t) ? t : {};
      return { id: str(o.id ?? o.job_id), label: `#${str(o.index, String(i))} ${str(o.description)}`.trim(), status: str(o.status, 'pending') };
    });
    return;
  }
  const id = str(d.id ?? d.job_id ?? d.subtask_id);
  const status = str(d.status, 'running');
  const children = [...s.children];
  const i = children.findIndex((c) => c.id === id || (num(d.index) !== undefined && c.label.startsWith(`#${num(d.index)} `)));
  if (i >= 0) children[i] = { ...children[i], id: children[i].id || id, status };
  else children.push({ id, label: `#${str(d.index, String(children.length))} ${str(d.description)}`.trim(), status });
  s.children = children;
}

function findLast<T>(xs: T[], pred: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i])) return i;
  return -1;
}

/** The Markdown the output panel shows: the final output once written, else the model's text so far. */
export function outputMarkdown(s: JobLive): string {
  if (s.output !== null) return s.output;
  return s.steps
    .map((x) => x.text)
    .filter(Boolean)
    .join('\n\n');
}

/** Seconds or milliseconds, for durations. */
export function formatMs(v: number | undefined): string {
  if (v === undefined) return '…';
  return v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
}

/** "3 s ago", "5 min ago": a job's age in the list. */
export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** A compound task's subtasks in columns by dependency depth (a subtask one column right of its deepest dependency). */
export function graphColumns<T extends { index: number; depends_on: number[] }>(subtasks: T[]): T[][] {
  const depth = new Map<number, number>();
  const byIndex = new Map(subtasks.map((t) => [t.index, t]));
  const visit = (t: T, seen: Set<number>): number => {
    const known = depth.get(t.index);
    if (known !== undefined) return known;
    if (seen.has(t.index)) return 0; // a cycle cannot be planned; draw it flat rather than loop
    seen.add(t.index);
    const deps = t.depends_on.map((i) => byIndex.get(i)).filter((x): x is T => x !== undefined);
    const d = deps.length ? Math.max(...deps.map((x) => visit(x, seen))) + 1 : 0;
    depth.set(t.index, d);
    return d;
  };
  const cols: T[][] = [];
  for (const t of [...subtasks].sort((a, b) => a.index - b.index)) (cols[visit(t, new Set())] ??= []).push(t);
  return cols.filter(Boolean);
}
