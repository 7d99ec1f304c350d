import { h, type ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';
import { renderMarkdown } from './markdown';

/* Small shared pieces of the console's views. */

export const e = h;

/** Sanitised Markdown (see markdown.ts). */
export function Markdown({ text, label }: { text: string; label: string }): ComponentChildren {
  return h('div', { class: 'markdown', 'aria-label': label, dangerouslySetInnerHTML: { __html: renderMarkdown(text) } });
}

export function Section({ title, children, count }: { title: string; children?: ComponentChildren; count?: number }): ComponentChildren {
  const id = `h-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': id },
    h('h3', { id }, title, count !== undefined ? h('span', { class: 'count' }, ` (${count})`) : null),
    children,
  );
}

export function Badge({ value }: { value: string | null | undefined }): ComponentChildren {
  const v = value ?? 'unknown';
  return h('span', { class: `badge badge-${v.replace(/[^a-z_]/gi, '')}` }, v);
}

/** JSON, pretty, for tool inputs and outputs. */
export function Json({ value }: { value: unknown }): ComponentChildren {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? '');
  } catch {
    text = String(value);
  }
  return h('pre', { class: 'json' }, text.length > 4000 ? `${text.slice(0, 4000)}\n… (${text.length} characters)` : text);
}

export interface TabDef {
  id: string;
  label: string;
}

/** An ARIA tab list: arrow keys, Home and End move between tabs; the panel is the caller's. */
export function Tabs({
  tabs,
  current,
  onSelect,
  label,
  idPrefix,
}: {
  tabs: TabDef[];
  current: string;
  onSelect: (id: string) => void;
  label: string;
  idPrefix: string;
}): ComponentChildren {
  const ref = useRef<HTMLDivElement>(null);
  const onKey = (ev: KeyboardEvent) => {
    const i = tabs.findIndex((t) => t.id === current);
    let next = -1;
    if (ev.key === 'ArrowRight') next = (i + 1) % tabs.length;
    else if (ev.key === 'ArrowLeft') next = (i - 1 + tabs.length) % tabs.length;
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = tabs.length - 1;
    if (next < 0) return;
    ev.preventDefault();
    onSelect(tabs[next].id);
    setTimeout(() => ref.current?.querySelector<HTMLButtonElement>(`#${idPrefix}-tab-${tabs[next].id}`)?.focus(), 0);
  };
  return h(
    'div',
    { role: 'tablist', 'aria-label': label, class: 'tabs', ref, onKeyDown: onKey },
    tabs.map((t) =>
      h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `${idPrefix}-tab-${t.id}`,
          'aria-selected': t.id === current ? 'true' : 'false',
          'aria-controls': `${idPrefix}-panel`,
          tabIndex: t.id === current ? 0 : -1,
          onClick: () => onSelect(t.id),
        },
        t.label,
      ),
    ),
  );
}

export function ErrorNote({ error }: { error: string | null }): ComponentChildren {
  return error ? h('p', { class: 'error', role: 'alert' }, error) : null;
}

/** Reads and writes the page's query string (?job=, ?task=, ?council=, ?run=), so a view can be linked to. */
export function setQuery(params: Record<string, string | null>): void {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v === null) url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  history.replaceState(null, '', url);
}

export const query = (name: string): string | null => new URL(location.href).searchParams.get(name);
