import { render, type ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { setToken } from './api';
import { CompoundPage } from './compound';
import { CouncilPage } from './council';
import { JobsPage } from './jobs';
import { ServicePage } from './service';
import { e, query, setQuery, Tabs } from './ui';

/*
 * The debug console (seed 000): jobs, compound tasks, council requests and service runs, each opened
 * from its URL (?job=, ?task=, ?council=, ?run=). See README "Debug console".
 */

const VIEWS = [
  { id: 'jobs', label: 'Jobs', param: 'job' },
  { id: 'compound', label: 'Compound tasks', param: 'task' },
  { id: 'council', label: 'Council', param: 'council' },
  { id: 'service', label: 'Service runs', param: 'run' },
];

function App(): ComponentChildren {
  const fromUrl = VIEWS.find((v) => query(v.param))?.id ?? query('view') ?? 'jobs';
  const [view, setView] = useState(VIEWS.some((v) => v.id === fromUrl) ? fromUrl : 'jobs');
  const [tokenSet, setTokenSet] = useState(false);
  // Remounting the views makes them fetch again with the new token.
  const [epoch, setEpoch] = useState(0);
  const select = (id: string) => {
    setView(id);
    setQuery({ view: id === 'jobs' ? null : id, job: null, task: null, council: null, run: null });
  };
  const applyToken = (ev: Event) => {
    ev.preventDefault();
    const input = (ev.currentTarget as HTMLFormElement).elements.namedItem('token') as HTMLInputElement;
    setToken(input.value);
    setTokenSet(input.value.trim() !== '');
    setEpoch(epoch + 1);
  };
  const current = VIEWS.find((v) => v.id === view)!;
  const page =
    view === 'compound'
      ? e(CompoundPage, { key: `c${epoch}`, initial: query('task') })
      : view === 'council'
        ? e(CouncilPage, { key: `o${epoch}`, initial: query('council') })
        : view === 'service'
          ? e(ServicePage, { key: `s${epoch}`, initial: query('run') })
          : e(JobsPage, { key: `j${epoch}`, initialJob: query('job') });
  return e(
    'div',
    { class: 'app' },
    e('a', { href: '#view-panel', class: 'skip' }, 'Skip to content'),
    e(
      'header',
      { class: 'top' },
      e('h1', null, 'Debug console'),
      e(
        'form',
        { class: 'token', onSubmit: applyToken, autocomplete: 'off' },
        e('label', { for: 'token' }, 'Bearer token (kept in this tab’s memory only)'),
        e('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: false }),
        e('button', { type: 'submit' }, tokenSet ? 'Replace token' : 'Use token'),
        e('span', { class: 'muted', role: 'status', 'data-testid': 'token-state' }, tokenSet ? 'token set' : 'no token'),
      ),
    ),
    e(Tabs, { tabs: VIEWS, current: view, onSelect: select, label: 'Console views', idPrefix: 'view' }),
    e('main', { id: 'view-panel', role: 'tabpanel', 'aria-labelledby': `view-tab-${view}`, 'aria-label': current.label }, page),
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the static "Loading…" line
render(e(App, null), root);
