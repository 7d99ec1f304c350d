import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AgentInfo, JobList, JobView } from '@platform/contracts';
import { api, ApiError, JOBS, jobTicketPath } from './api';
import { ResumingStream, type ConnInfo } from './connection';
import { age, applyFrame, formatMs, frameLine, frameText, initialJob, outputMarkdown, TERMINAL, type Frame, type JobLive } from './state';
import { Badge, e, ErrorNote, Json, Markdown, Section, setQuery, Tabs } from './ui';

export const JOB_EVENTS = [
  'job.status',
  'job.error',
  'workflow.start',
  'workflow.end',
  'llm.start',
  'llm.chunk',
  'llm.end',
  'tool.start',
  'tool.end',
  'artifact.update',
  'task.plan',
  'task.subtask',
];

const STATUSES = ['', 'submitted', 'running', 'success', 'failure', 'interrupted'];

/** Submit a job: agent type, input, collections, expiry. */
export function SubmitJob({ onSubmitted }: { onSubmitted: (id: string) => void }): ComponentChildren {
  const [agents, setAgents] = useState<AgentInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ agent_type: 'echo', input: 'What is retrieval-augmented generation?', collections: '', expiry: '' });
  useEffect(() => {
    api<{ agents: AgentInfo[] }>(`${JOBS}/agents`)
      .then((r) => setAgents(r.agents))
      .catch((err: Error) => setError(`Agents: ${err.message}`));
  }, []);
  const set = (k: keyof typeof form) => (ev: Event) => setForm({ ...form, [k]: (ev.target as HTMLInputElement).value });
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const collections = form.collections
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      const body: Record<string, unknown> = { agent_type: form.agent_type, input: form.input };
      if (collections.length) body.collections = collections;
      if (form.expiry.trim()) body.expiry_seconds = Number(form.expiry);
      const r = await api<{ job_id: string }>(`${JOBS}/submit`, { method: 'POST', body });
      onSubmitted(r.job_id);
    } catch (err) {
      setError(`Submit: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return e(
    'form',
    { class: 'card', onSubmit: submit, 'aria-labelledby': 'submit-h' },
    e('h2', { id: 'submit-h' }, 'Submit a job'),
    e('label', { for: 'agent' }, 'Agent type'),
    e(
      'select',
      { id: 'agent', name: 'agent_type', value: form.agent_type, onChange: set('agent_type') },
      (agents.length ? agents : [{ agent_type: form.agent_type, description: '' }]).map((a) =>
        e('option', { value: a.agent_type, title: a.description }, a.agent_type),
      ),
    ),
    e('label', { for: 'input' }, 'Input'),
    e('textarea', { id: 'input', name: 'input', rows: 4, value: form.input, onInput: set('input'), required: true }),
    e('label', { for: 'collections' }, 'Collections (comma-separated, optional)'),
    e('input', { id: 'collections', name: 'collections', value: form.collections, onInput: set('collections') }),
    e('label', { for: 'expiry' }, 'Expiry after finishing, seconds (600–604800, optional)'),
    e('input', { id: 'expiry', name: 'expiry', type: 'number', min: 600, max: 604800, value: form.expiry, onInput: set('expiry') }),
    e('button', { type: 'submit', disabled: busy }, busy ? 'Submitting…' : 'Submit and watch'),
    e(ErrorNote, { error }),
  );
}

/** The caller's recent jobs (GET /v1/jobs/async/jobs), newest first, a page at a time. */
export function JobListView({
  selected,
  onOpen,
  refreshKey,
}: {
  selected: string | null;
  onOpen: (id: string) => void;
  refreshKey: number;
}): ComponentChildren {
  const [list, setList] = useState<JobList | null>(null);
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const limit = 10;
  const load = () => {
    const q = new URLSearchParams({ limit: String(limit), offset: String(offset) });
    if (status) q.set('status', status);
    api<JobList>(`${JOBS}/jobs?${q}`)
      .then((r) => {
        setList(r);
        setError(null);
      })
      .catch((err: Error) => setError(`Jobs: ${err.message}`));
  };
  useEffect(load, [status, offset, refreshKey]);
  return e(
    'section',
    { class: 'card', 'aria-labelledby': 'jobs-h' },
    e('h2', { id: 'jobs-h' }, 'Recent jobs'),
    e(
      'div',
      { class: 'row' },
      e('label', { for: 'status-filter' }, 'Status'),
      e(
        'select',
        {
          id: 'status-filter',
          value: status,
          onChange: (ev: Event) => {
            setOffset(0);
            setStatus((ev.target as HTMLSelectElement).value);
          },
        },
        STATUSES.map((s) => e('option', { value: s }, s || 'any')),
      ),
      e('button', { type: 'button', onClick: load }, 'Refresh'),
    ),
    e(ErrorNote, { error }),
    list && list.jobs.length === 0 ? e('p', null, 'No jobs yet.') : null,
    list && list.jobs.length > 0
      ? e(
          'table',
          { class: 'jobs', 'data-testid': 'job-list' },
          e('caption', { class: 'sr-only' }, 'Your recent jobs'),
          e(
            'thead',
            null,
            e(
              'tr',
              null,
              e('th', { scope: 'col' }, 'Job'),
              e('th', { scope: 'col' }, 'Status'),
              e('th', { scope: 'col' }, 'Agent'),
              e('th', { scope: 'col' }, 'Age'),
            ),
          ),
          e(
            'tbody',
            null,
            list.jobs.map((j) =>
              e(
                'tr',
                { key: j.job_id, class: j.job_id === selected ? 'selected' : '' },
                e(
                  'td',
                  null,
                  e(
                    'a',
                    {
                      href: `?job=${encodeURIComponent(j.job_id)}`,
                      onClick: (ev: Event) => (ev.preventDefault(), onOpen(j.job_id)),
                      'aria-current': j.job_id === selected ? 'true' : undefined,
                    },
                    j.job_id.slice(0, 13),
                  ),
                ),
                e('td', null, e(Badge, { value: j.status })),
                e('td', null, j.agent_type),
                e('td', { title: j.created_at }, age(j.created_at)),
              ),
            ),
          ),
        )
      : null,
    list
      ? e(
          'div',
          { class: 'row' },
          e('button', { type: 'button', disabled: offset === 0, onClick: () => setOffset(Math.max(0, offset - limit)) }, 'Newer'),
          e('span', { class: 'muted' }, `${list.total ? offset + 1 : 0}–${Math.min(offset + limit, list.total)} of ${list.total}`),
          e('button', { type: 'button', disabled: offset + limit >= list.total, onClick: () => setOffset(offset + limit) }, 'Older'),
        )
      : null,
  );
}

/** Opens a job by id (a service run's request id is one). */
export function OpenById({ label, onOpen, id }: { label: string; onOpen: (id: string) => void; id: string }): ComponentChildren {
  const [value, setValue] = useState('');
  return e(
    'form',
    { class: 'row', onSubmit: (ev: Event) => (ev.preventDefault(), value.trim() && onOpen(value.trim())) },
    e('label', { for: id }, label),
    e('input', { id, value, onInput: (ev: Event) => setValue((ev.target as HTMLInputElement).value), autocomplete: 'off', spellcheck: false }),
    e('button', { type: 'submit' }, 'Open'),
  );
}

export function ConnectionBar({ info, live }: { info: ConnInfo; live: JobLive }): ComponentChildren {
  return e(
    'div',
    { class: 'conn', role: 'status', 'aria-live': 'polite', 'data-testid': 'connection' },
    e('span', { class: `dot dot-${info.state}`, 'aria-hidden': 'true' }),
    e('strong', { 'data-testid': 'conn-state' }, info.state),
    e('span', null, ' · last event id '),
    e('strong', { 'data-testid': 'last-event-id' }, String(info.lastId)),
    e('span', null, ` · reconnects ${info.reconnects} · duplicates dropped ${live.duplicates}`),
    info.note ? e('span', { class: 'muted' }, ` · ${info.note}`) : null,
  );
}

export function useJobStream(jobId: string | null, paths?: { path: string; pathAfter?: (n: number) => string }) {
  const [live, setLive] = useState<JobLive>(initialJob);
  const [info, setInfo] = useState<ConnInfo>({ state: 'connecting', lastId: 0, reconnects: 0, note: '' });
  const liveRef = useRef(live);
  useEffect(() => {
    if (!jobId) return undefined;
    liveRef.current = initialJob();
    setLive(liveRef.current);
    const base = `${JOBS}/job/${encodeURIComponent(jobId)}`;
    const stream = new ResumingStream({
      path: paths?.path ?? `${base}/stream`,
      pathAfter: paths ? paths.pathAfter : (n) => `${base}/stream/${n}`,
      ticketPath: jobTicketPath(jobId),
      events: JOB_EVENTS,
      onFrame: (f: Frame) => {
        liveRef.current = applyFrame(liveRef.current, f);
        setLive(liveRef.current);
      },
      onInfo: setInfo,
      isEnd: (f) => f.event === 'job.status' && TERMINAL.some((t) => f.data.includes(`"status":"${t}"`)),
      stillThere: async () => {
        try {
          await api(`${base}`);
          return true;
        } catch (err) {
          return !(err instanceof ApiError && [401, 403, 404].includes(err.status));
        }
      },
    });
    stream.start();
    return () => stream.close();
  }, [jobId]);
  return { live, info };
}

/** One job: status, timings, output, todos, sources, tools, stages, errors, raw frames. */
export function JobPanel({ jobId, onChanged }: { jobId: string; onChanged?: () => void }): ComponentChildren {
  const { live, info } = useJobStream(jobId);
  const [job, setJob] = useState<JobView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState('overview');
  const [copied, setCopied] = useState('');
  const loadJob = () =>
    api<JobView>(`${JOBS}/job/${encodeURIComponent(jobId)}`)
      .then((j) => {
        setJob(j);
        setError(null);
      })
      .catch((err: Error) => setError(`Job: ${err.message}`));
  useEffect(() => {
    setJob(null);
    void loadJob();
  }, [jobId]);
  // The row's timings move with the status: read it again on each status change.
  useEffect(() => {
    if (live.statuses.length) {
      void loadJob();
      onChanged?.();
    }
  }, [live.statuses.length]);
  const cancel = async () => {
    try {
      await api(`${JOBS}/job/${encodeURIComponent(jobId)}/cancel`, { method: 'POST' });
      void loadJob();
    } catch (err) {
      setError(`Cancel: ${(err as Error).message}`);
    }
  };
  const copy = async () => {
    const text = live.frames.map(frameText).join('');
    try {
      await navigator.clipboard.writeText(text);
      setCopied(`Copied ${live.frames.length} frames (${text.length} characters).`);
    } catch (err) {
      setCopied(`Copy failed: ${(err as Error).message}`);
    }
  };
  const status = live.status ?? job?.status ?? null;
  const terminal = status !== null && TERMINAL.includes(status);
  const started = job?.started_at ?? null;
  const finished = job?.finished_at ?? null;
  return e(
    'article',
    { class: 'job', 'aria-labelledby': 'job-h', 'data-testid': 'job-panel' },
    e(
      'header',
      { class: 'job-head' },
      e('h2', { id: 'job-h' }, 'Job ', e('code', { 'data-testid': 'job-id' }, jobId)),
      e(
        'dl',
        { class: 'facts' },
        e('dt', null, 'Status'),
        e('dd', { 'data-testid': 'job-status' }, e(Badge, { value: status })),
        e('dt', null, 'Agent'),
        e('dd', null, job?.agent_type ?? '…'),
        e('dt', null, 'Attempt'),
        e('dd', { 'data-testid': 'job-attempt' }, String(live.attempt ?? job?.attempt ?? 0)),
        e('dt', null, 'Created'),
        e('dd', null, job ? new Date(job.created_at).toLocaleTimeString() : '…'),
        e('dt', null, 'Queued'),
        e('dd', null, job && started ? formatMs(Date.parse(started) - Date.parse(job.created_at)) : '…'),
        e('dt', null, 'Ran'),
        e('dd', null, started ? formatMs((finished ? Date.parse(finished) : Date.now()) - Date.parse(started)) : '…'),
      ),
      e('button', { type: 'button', class: 'danger', onClick: cancel, disabled: terminal, 'data-testid': 'cancel' }, 'Cancel job'),
    ),
    e(ConnectionBar, { info, live }),
    e(ErrorNote, { error }),
    e(Tabs, {
      label: 'Job views',
      idPrefix: 'jobview',
      current: tab,
      onSelect: setTab,
      tabs: [
        { id: 'overview', label: 'Overview' },
        { id: 'tools', label: `Tool calls (${live.tools.length})` },
        { id: 'raw', label: `Raw frames (${live.frames.length})` },
      ],
    }),
    e(
      'div',
      { id: 'jobview-panel', role: 'tabpanel', 'aria-labelledby': `jobview-tab-${tab}`, tabIndex: 0 },
      tab === 'overview' ? e(Overview, { live }) : null,
      tab === 'tools' ? e(ToolTimeline, { live }) : null,
      tab === 'raw'
        ? e(
            'div',
            null,
            e(
              'div',
              { class: 'row' },
              e('button', { type: 'button', onClick: copy, 'data-testid': 'copy' }, 'Copy SSE stream'),
              e('span', { role: 'status', class: 'muted' }, copied),
            ),
            e('pre', { class: 'raw', 'data-testid': 'raw-frames', 'aria-label': 'Raw SSE frames' }, live.frames.map(frameLine).join('\n')),
          )
        : null,
    ),
  );
}

function Overview({ live }: { live: JobLive }): ComponentChildren {
  const md = outputMarkdown(live);
  return e(
    'div',
    { class: 'overview' },
    e(
      Section,
      { title: live.output !== null ? 'Output' : 'Output (streaming)' },
      md ? e('div', { 'data-testid': 'output' }, e(Markdown, { text: md, label: 'Output' })) : e('p', { class: 'muted' }, 'No output yet.'),
    ),
    live.errors.length
      ? e(
          Section,
          { title: 'Errors', count: live.errors.length },
          e(
            'ul',
            { class: 'errors', 'data-testid': 'errors' },
            live.errors.map((m) => e('li', null, m)),
          ),
        )
      : null,
    e(
      Section,
      { title: 'Todos', count: live.todos.length },
      live.todos.length
        ? e(
            'ul',
            { class: 'todos', 'data-testid': 'todos' },
            live.todos.map((t) =>
              e(
                'li',
                { class: `todo todo-${t.status}` },
                e('input', { type: 'checkbox', id: `todo-${t.id}`, checked: t.status === 'completed', disabled: true, 'aria-describedby': `todo-s-${t.id}` }),
                e('label', { for: `todo-${t.id}` }, t.task),
                e('span', { id: `todo-s-${t.id}`, class: 'muted' }, ` ${t.status.replace('_', ' ')}`),
              ),
            ),
          )
        : e('p', { class: 'muted' }, 'No todo list.'),
    ),
    e(
      Section,
      { title: 'Sources', count: live.sources.length },
      live.sources.length
        ? e(
            'ol',
            { class: 'sources', 'data-testid': 'sources' },
            live.sources.map((s) =>
              e(
                'li',
                { id: s.anchor, class: s.cited ? 'cited' : '' },
                e('strong', null, s.name),
                s.cited ? e('span', { class: 'tag' }, 'cited') : null,
                e(
                  'span',
                  { class: 'muted' },
                  ` ${[s.collection && `collection ${s.collection}`, s.chunk_index !== undefined && `chunk ${s.chunk_index}`, s.score !== undefined && `score ${s.score.toFixed(3)}`].filter(Boolean).join(' · ')}`,
                ),
                s.document_id ? e('div', { class: 'muted small' }, 'document ', e('code', null, s.document_id)) : null,
              ),
            ),
          )
        : e('p', { class: 'muted' }, 'No sources.'),
      live.citations.length
        ? e(
            'p',
            { 'data-testid': 'citations' },
            'Cited: ',
            live.citations.map((c, i) => {
              const src = live.sources.find((s) => s.name === c);
              return e('span', null, i ? ', ' : '', src ? e('a', { href: `#${src.anchor}` }, c) : c);
            }),
          )
        : null,
    ),
    live.stages.length || live.children.length
      ? e(
          Section,
          { title: 'Workflow stages and subagents' },
          e(
            'ul',
            { class: 'stages', 'data-testid': 'stages' },
            live.stages.map((s) =>
              e(
                'li',
                { class: `depth-${Math.min(s.depth, 4)}` },
                e(Badge, { value: s.done ? 'done' : 'running' }),
                ' ',
                e('strong', null, s.name),
                s.detail ? ` — ${s.detail}` : '',
                e('span', { class: 'muted' }, ` ${s.done ? formatMs(s.ms) : ''}`),
              ),
            ),
          ),
          live.children.length
            ? e(
                'ul',
                { class: 'children' },
                live.children.map((c) =>
                  e('li', null, e(Badge, { value: c.status }), ' ', c.id ? e('a', { href: `?job=${encodeURIComponent(c.id)}` }, c.label || c.id) : c.label),
                ),
              )
            : null,
        )
      : null,
    live.steps.length
      ? e(
          Section,
          { title: 'Model calls', count: live.steps.length },
          e(
            'ul',
            { class: 'steps' },
            live.steps.map((s) =>
              e(
                'li',
                null,
                e('strong', null, s.step),
                ` ${s.model} · ${s.text.length} characters · `,
                s.done ? formatMs(s.ms) : 'streaming…',
                s.usage ? ` · ${s.usage.prompt_tokens ?? '?'} in / ${s.usage.completion_tokens ?? '?'} out tokens` : '',
                s.cost !== undefined ? ` · $${s.cost.toFixed(6)}` : '',
              ),
            ),
          ),
        )
      : null,
  );
}

function ToolTimeline({ live }: { live: JobLive }): ComponentChildren {
  if (!live.tools.length) return e('p', { class: 'muted' }, 'No tool calls.');
  const t0 = Date.parse(live.firstAt ?? live.tools[0].started);
  return e(
    'ol',
    { class: 'timeline', 'data-testid': 'tools' },
    live.tools.map((t, i) =>
      e(
        'li',
        { key: i },
        e(
          'div',
          null,
          e(Badge, { value: t.error ? 'failure' : t.done ? 'success' : 'running' }),
          ' ',
          e('strong', null, t.name),
          e('span', { class: 'muted' }, ` at +${formatMs(Date.parse(t.started) - t0)} · took ${t.done ? formatMs(t.ms) : '…'}`),
        ),
        e('details', null, e('summary', null, 'Input'), e(Json, { value: t.input })),
        t.done
          ? e(
              'details',
              null,
              e('summary', null, t.error ? 'Error and output' : 'Output'),
              t.error ? e('p', { class: 'error' }, t.error) : null,
              e(Json, { value: t.output }),
            )
          : null,
      ),
    ),
  );
}

export function JobsPage({ initialJob: first }: { initialJob: string | null }): ComponentChildren {
  const [open, setOpen] = useState<string | null>(first);
  const [refresh, setRefresh] = useState(0);
  const openJob = (id: string) => {
    setOpen(id);
    setQuery({ view: null, job: id, task: null, council: null, run: null });
  };
  return e(
    'div',
    { class: 'split' },
    e(
      'div',
      { class: 'side' },
      e(SubmitJob, {
        onSubmitted: (id) => {
          openJob(id);
          setRefresh(refresh + 1);
        },
      }),
      e('div', { class: 'card' }, e(OpenById, { id: 'open-job', label: 'Open job id', onOpen: openJob })),
      e(JobListView, { selected: open, onOpen: openJob, refreshKey: refresh }),
    ),
    e(
      'div',
      { class: 'main' },
      open
        ? e(JobPanel, { key: open, jobId: open, onChanged: () => setRefresh((n) => n + 1) })
        : e('p', { class: 'muted' }, 'Submit a job or open one from the list.'),
    ),
  );
}
