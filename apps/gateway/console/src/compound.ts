import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, jobTicketPath } from './api';
import { ResumingStream, type ConnInfo } from './connection';
import { JOB_EVENTS, OpenById } from './jobs';
import { graphColumns, formatMs, frameLine, type Frame } from './state';
import { Badge, e, ErrorNote, Markdown, Section, setQuery } from './ui';

/* A compound task (issue 12, seed 003): its subtask graph with each node's state, from
   GET /task/{id}/progress, read again whenever the task's stream (GET /task/{id}/stream) moves. */

interface Subtask {
  id: string;
  index: number;
  description: string;
  tier_hint: number;
  tier_assigned: number | null;
  model: string | null;
  depends_on: number[];
  status: string;
  result: string | null;
  cost: number | null;
  started_at: string | null;
  completed_at: string | null;
}

interface TaskProgress {
  id: string;
  prompt: string;
  status: string;
  reasoning: string;
  subtasks: Subtask[];
  created_at: string;
  planned_at: string | null;
  completed_at: string | null;
  total_cost: number;
}

const TASK_END = ['completed', 'partial', 'failed', 'cancelled'];

export function CompoundPage({ initial }: { initial: string | null }): ComponentChildren {
  const [open, setOpen] = useState<string | null>(initial);
  const [prompt, setPrompt] = useState('Search for solar power and wind power, then summarize both');
  const [error, setError] = useState<string | null>(null);
  const openTask = (id: string) => {
    setOpen(id);
    setQuery({ view: null, task: id, job: null, council: null, run: null });
  };
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    try {
      const r = await api<{ id: string }>('/task/compound', { method: 'POST', body: { prompt } });
      openTask(r.id);
    } catch (err) {
      setError(`Submit: ${(err as Error).message}`);
    }
  };
  return e(
    'div',
    { class: 'split' },
    e(
      'div',
      { class: 'side' },
      e(
        'form',
        { class: 'card', onSubmit: submit, 'aria-labelledby': 'ct-h' },
        e('h2', { id: 'ct-h' }, 'Compound task'),
        e('label', { for: 'ct-prompt' }, 'Prompt'),
        e('textarea', { id: 'ct-prompt', rows: 4, value: prompt, onInput: (ev: Event) => setPrompt((ev.target as HTMLTextAreaElement).value), required: true }),
        e('button', { type: 'submit' }, 'Plan and run'),
        e(ErrorNote, { error }),
      ),
      e('div', { class: 'card' }, e(OpenById, { id: 'open-task', label: 'Open task id', onOpen: openTask })),
    ),
    e('div', { class: 'main' }, open ? e(TaskPanel, { key: open, taskId: open }) : e('p', { class: 'muted' }, 'Plan a task or open one by id.')),
  );
}

export function TaskPanel({ taskId }: { taskId: string }): ComponentChildren {
  const [progress, setProgress] = useState<TaskProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<ConnInfo>({ state: 'connecting', lastId: 0, reconnects: 0, note: '' });
  const [frames, setFrames] = useState<Frame[]>([]);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const base = `/task/${encodeURIComponent(taskId)}`;
  const load = () =>
    api<TaskProgress>(`${base}/progress`)
      .then((p) => {
        setProgress(p);
        setError(null);
      })
      .catch((err: Error) => setError(`Progress: ${err.message}`));
  useEffect(() => {
    void load();
    const soon = () => {
      if (pending.current) return;
      pending.current = setTimeout(() => {
        pending.current = null;
        void load();
      }, 250);
    };
    const stream = new ResumingStream({
      path: `${base}/stream`,
      ticketPath: jobTicketPath(taskId),
      events: JOB_EVENTS,
      onFrame: (f) => {
        if (f.id !== null) setFrames((xs) => [...xs, f]);
        soon();
      },
      onInfo: setInfo,
      isEnd: (f) => f.event === 'job.status' && /"status":"(success|failure|interrupted)"/.test(f.data),
      stillThere: () =>
        api(`${base}/progress`).then(
          () => true,
          () => false,
        ),
    });
    stream.start();
    // The stream is the trigger; a slow poll covers a stream that cannot be opened.
    const poll = setInterval(() => void load(), 5000);
    return () => {
      stream.close();
      clearInterval(poll);
      if (pending.current) clearTimeout(pending.current);
    };
  }, [taskId]);
  const cancel = () => api(`${base}/cancel`, { method: 'POST' }).then(load, (err: Error) => setError(`Cancel: ${err.message}`));
  const cols = progress ? graphColumns(progress.subtasks) : [];
  return e(
    'article',
    { class: 'job', 'aria-labelledby': 'task-h', 'data-testid': 'task-panel' },
    e(
      'header',
      { class: 'job-head' },
      e('h2', { id: 'task-h' }, 'Task ', e('code', null, taskId)),
      progress
        ? e(
            'dl',
            { class: 'facts' },
            e('dt', null, 'Status'),
            e('dd', { 'data-testid': 'task-status' }, e(Badge, { value: progress.status })),
            e('dt', null, 'Subtasks'),
            e('dd', null, `${progress.subtasks.filter((s) => s.status === 'completed').length} / ${progress.subtasks.length} completed`),
            e('dt', null, 'Cost'),
            e('dd', null, `$${progress.total_cost.toFixed(6)}`),
            e('dt', null, 'Took'),
            e('dd', null, progress.completed_at ? formatMs(Date.parse(progress.completed_at) - Date.parse(progress.created_at)) : '…'),
          )
        : null,
      e('button', { type: 'button', class: 'danger', onClick: cancel, disabled: !progress || TASK_END.includes(progress.status) }, 'Cancel task'),
    ),
    e(
      'div',
      { class: 'conn', role: 'status', 'aria-live': 'polite' },
      e('span', { class: `dot dot-${info.state}`, 'aria-hidden': 'true' }),
      e('strong', null, info.state),
      ` · last event id ${info.lastId} · reconnects ${info.reconnects}`,
    ),
    e(ErrorNote, { error }),
    progress
      ? e(
          'div',
          null,
          e(Section, { title: 'Prompt' }, e('p', null, progress.prompt), progress.reasoning ? e('p', { class: 'muted' }, 'Plan: ', progress.reasoning) : null),
          e(
            Section,
            { title: 'Subtask graph', count: progress.subtasks.length },
            e(
              'ol',
              { class: 'graph', 'data-testid': 'task-graph', 'aria-label': 'Subtasks by stage; each runs after the ones it depends on' },
              cols.map((col, i) =>
                e(
                  'li',
                  { class: 'graph-col' },
                  e('h4', null, `Stage ${i + 1}`),
                  e(
                    'ul',
                    null,
                    col.map((s) =>
                      e(
                        'li',
                        { class: `node node-${s.status}`, 'data-testid': 'task-node', 'data-status': s.status },
                        e('div', null, e('strong', null, `#${s.index}`), ' ', e(Badge, { value: s.status })),
                        e('p', null, s.description),
                        e(
                          'p',
                          { class: 'muted small' },
                          s.depends_on.length ? `after ${s.depends_on.map((d) => `#${d}`).join(', ')}` : 'no dependencies',
                          ` · tier ${s.tier_assigned ?? s.tier_hint}${s.model ? ` · ${s.model}` : ''}${s.cost !== null ? ` · $${s.cost.toFixed(6)}` : ''}`,
                        ),
                        s.started_at
                          ? e('p', { class: 'muted small' }, `ran ${s.completed_at ? formatMs(Date.parse(s.completed_at) - Date.parse(s.started_at)) : '…'}`)
                          : null,
                        e('a', { href: `?job=${encodeURIComponent(s.id)}` }, 'child job'),
                        s.result
                          ? e('details', null, e('summary', null, 'Result'), e(Markdown, { text: s.result, label: `Result of subtask ${s.index}` }))
                          : null,
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ),
        )
      : null,
    e(Section, { title: 'Raw frames', count: frames.length }, e('pre', { class: 'raw' }, frames.map(frameLine).join('\n'))),
  );
}
