import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { ResumingStream, type ConnInfo } from './connection';
import { OpenById } from './jobs';
import { formatMs, frameLine, type Frame } from './state';
import { Badge, e, ErrorNote, Markdown, Section, setQuery } from './ui';

/* A council request (issue 13, seed 004): progress, the synthesized answer as it streams, and with
   ?include=deliberation each round's member answers and the agreement. */

const COUNCIL = '/api/v1/requests';

interface MemberAnswer {
  member: string;
  model: string;
  temperature?: number;
  weight?: number;
  answer: string | null;
  latencyMs?: number;
  cost?: number;
  error: string | null;
}

interface CouncilView {
  requestId: string;
  status: string;
  query?: string;
  consensusDecision?: string;
  confidence?: string;
  agreementLevel?: number;
  cost?: number;
  latency?: number;
  createdAt?: string;
  completedAt?: string;
  error?: { code: string; message: string; retryable?: boolean };
  deliberation?: {
    strategy?: string;
    synthesizedBy?: string;
    agreementMethod?: string;
    rounds: { round: number; agreement: number | null; members: MemberAnswer[] }[];
  };
}

export function CouncilPage({ initial }: { initial: string | null }): ComponentChildren {
  const [open, setOpen] = useState<string | null>(initial);
  const [q, setQ] = useState('Is nuclear power a good way to cut emissions?');
  const [strategy, setStrategy] = useState('consensus-extraction');
  const [error, setError] = useState<string | null>(null);
  const openReq = (id: string) => {
    setOpen(id);
    setQuery({ view: null, council: id, job: null, task: null, run: null });
  };
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    try {
      const r = await api<{ requestId: string }>(COUNCIL, { method: 'POST', body: { query: q, streaming: true, synthesisStrategy: { type: strategy } } });
      openReq(r.requestId);
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
        { class: 'card', onSubmit: submit, 'aria-labelledby': 'co-h' },
        e('h2', { id: 'co-h' }, 'Council request'),
        e('label', { for: 'co-query' }, 'Query'),
        e('textarea', { id: 'co-query', rows: 4, value: q, onInput: (ev: Event) => setQ((ev.target as HTMLTextAreaElement).value), required: true }),
        e('label', { for: 'co-strategy' }, 'Synthesis strategy'),
        e(
          'select',
          { id: 'co-strategy', value: strategy, onChange: (ev: Event) => setStrategy((ev.target as HTMLSelectElement).value) },
          ['consensus-extraction', 'weighted-fusion', 'meta-synthesis', 'iterative-consensus'].map((s) => e('option', { value: s }, s)),
        ),
        e('button', { type: 'submit' }, 'Ask the council'),
        e(ErrorNote, { error }),
      ),
      e('div', { class: 'card' }, e(OpenById, { id: 'open-council', label: 'Open request id', onOpen: openReq })),
    ),
    e(
      'div',
      { class: 'main' },
      open ? e(CouncilPanel, { key: open, requestId: open }) : e('p', { class: 'muted' }, 'Ask the council or open a request by id.'),
    ),
  );
}

export function CouncilPanel({ requestId }: { requestId: string }): ComponentChildren {
  const [view, setView] = useState<CouncilView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<string[]>([]);
  const [answer, setAnswer] = useState('');
  const [frames, setFrames] = useState<Frame[]>([]);
  const [info, setInfo] = useState<ConnInfo>({ state: 'connecting', lastId: 0, reconnects: 0, note: '' });
  const base = `${COUNCIL}/${encodeURIComponent(requestId)}`;
  const load = () =>
    api<CouncilView>(`${base}?include=deliberation`)
      .then((v) => {
        setView(v);
        setError(null);
      })
      .catch((err: Error) => setError(`Request: ${err.message}`));
  useEffect(() => {
    void load();
    const stream = new ResumingStream({
      path: `${base}/stream`,
      ticketPath: `${base}/stream-ticket`,
      events: ['progress', 'chunk', 'complete', 'error'],
      onFrame: (f) => {
        setFrames((xs) => [...xs, f]);
        let d: Record<string, unknown> = {};
        try {
          d = JSON.parse(f.data) as Record<string, unknown>;
        } catch {
          /* shown raw */
        }
        if (f.event === 'progress') {
          setProgress((xs) => [...xs, [d.status, d.message].filter(Boolean).join(': ')]);
          void load();
        } else if (f.event === 'chunk') setAnswer((a) => a + String(d.content ?? ''));
        else void load();
      },
      onInfo: setInfo,
      isEnd: (f) => f.event === 'complete' || f.event === 'error',
      stillThere: () =>
        api(base).then(
          () => true,
          () => false,
        ),
    });
    stream.start();
    return () => stream.close();
  }, [requestId]);
  const cancel = () => api(base, { method: 'DELETE' }).then(load, (err: Error) => setError(`Cancel: ${err.message}`));
  const decision = view?.consensusDecision ?? answer;
  return e(
    'article',
    { class: 'job', 'aria-labelledby': 'council-h', 'data-testid': 'council-panel' },
    e(
      'header',
      { class: 'job-head' },
      e('h2', { id: 'council-h' }, 'Council request ', e('code', null, requestId)),
      view
        ? e(
            'dl',
            { class: 'facts' },
            e('dt', null, 'Status'),
            e('dd', { 'data-testid': 'council-status' }, e(Badge, { value: view.status })),
            e('dt', null, 'Agreement'),
            e('dd', { 'data-testid': 'council-agreement' }, view.agreementLevel !== undefined ? `${(view.agreementLevel * 100).toFixed(0)} %` : '…'),
            e('dt', null, 'Confidence'),
            e('dd', null, view.confidence ?? '…'),
            e('dt', null, 'Cost'),
            e('dd', null, view.cost !== undefined ? `$${view.cost.toFixed(6)}` : '…'),
            e('dt', null, 'Latency'),
            e('dd', null, view.latency !== undefined ? formatMs(view.latency) : '…'),
          )
        : null,
      e('button', { type: 'button', class: 'danger', onClick: cancel, disabled: !view || view.status !== 'processing' }, 'Cancel request'),
    ),
    e(
      'div',
      { class: 'conn', role: 'status', 'aria-live': 'polite' },
      e('span', { class: `dot dot-${info.state}`, 'aria-hidden': 'true' }),
      e('strong', null, info.state),
      ` · last event id ${info.lastId} · reconnects ${info.reconnects}`,
    ),
    e(ErrorNote, { error: error ?? (view?.error ? `${view.error.code}: ${view.error.message}${view.error.retryable ? ' (retryable)' : ''}` : null) }),
    view?.query ? e(Section, { title: 'Query' }, e('p', null, view.query)) : null,
    e(
      Section,
      { title: 'Progress', count: progress.length },
      e(
        'ol',
        { class: 'progress' },
        progress.map((p) => e('li', null, p)),
      ),
    ),
    e(
      Section,
      { title: 'Consensus decision' },
      decision
        ? e('div', { 'data-testid': 'council-decision' }, e(Markdown, { text: decision, label: 'Consensus decision' }))
        : e('p', { class: 'muted' }, 'Not decided yet.'),
    ),
    view?.deliberation
      ? e(
          Section,
          { title: 'Deliberation', count: view.deliberation.rounds.length },
          e(
            'p',
            { class: 'muted' },
            `strategy ${view.deliberation.strategy ?? '?'} · written by ${view.deliberation.synthesizedBy ?? '?'} · agreement by ${view.deliberation.agreementMethod ?? '?'}`,
          ),
          view.deliberation.rounds.map((r) =>
            e(
              'div',
              { class: 'round', 'data-testid': 'council-round' },
              e('h4', null, `Round ${r.round} · agreement ${r.agreement === null ? 'n/a' : `${(r.agreement * 100).toFixed(0)} %`}`),
              e(
                'ul',
                { class: 'members' },
                r.members.map((m) =>
                  e(
                    'li',
                    { class: 'member', 'data-testid': 'council-member' },
                    e(
                      'div',
                      null,
                      e('strong', null, m.member),
                      ` ${m.model}`,
                      e(
                        'span',
                        { class: 'muted' },
                        ` · ${m.latencyMs !== undefined ? formatMs(m.latencyMs) : '?'}${m.cost !== undefined ? ` · $${m.cost.toFixed(6)}` : ''}`,
                      ),
                    ),
                    m.error ? e('p', { class: 'error' }, m.error) : m.answer ? e(Markdown, { text: m.answer, label: `Answer of ${m.member}` }) : null,
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
