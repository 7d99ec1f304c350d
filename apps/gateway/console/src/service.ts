import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { JobPanel, OpenById } from './jobs';
import { Badge, e, ErrorNote, Json, Section, setQuery } from './ui';

/* A service run (agentUniverse service API, docs/service-api.md): start one with /service_run_async,
   read /service_run_result, and watch its job (a service run's request id is a job id). */

interface Envelope {
  success: boolean;
  result: unknown;
  message: string | null;
  request_id: string | null;
}

export function ServicePage({ initial }: { initial: string | null }): ComponentChildren {
  const [open, setOpen] = useState<string | null>(initial);
  const [services, setServices] = useState<{ service_id?: string; id?: string; agent_type?: string }[]>([]);
  const [serviceId, setServiceId] = useState('demo_service');
  const [input, setInput] = useState('hello from the debug console');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Envelope>('/agent/list')
      .then((r) => (Array.isArray(r.result) ? setServices(r.result as typeof services) : undefined))
      .catch((err: Error) => setError(`Services: ${err.message}`));
  }, []);
  const openRun = (id: string) => {
    setOpen(id);
    setQuery({ view: null, run: id, job: null, task: null, council: null });
  };
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    try {
      const r = await api<Envelope>('/service_run_async', { method: 'POST', body: { service_id: serviceId, params: { input } } });
      if (r.request_id) openRun(r.request_id);
    } catch (err) {
      setError(`Run: ${(err as Error).message}`);
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
        { class: 'card', onSubmit: submit, 'aria-labelledby': 'sr-h' },
        e('h2', { id: 'sr-h' }, 'Service run'),
        e('label', { for: 'sr-service' }, 'Service'),
        e(
          'select',
          { id: 'sr-service', value: serviceId, onChange: (ev: Event) => setServiceId((ev.target as HTMLSelectElement).value) },
          (services.length ? services : [{ service_id: serviceId }]).map((s) => {
            const id = s.service_id ?? s.id ?? '';
            return e('option', { value: id }, s.agent_type ? `${id} (${s.agent_type})` : id);
          }),
        ),
        e('label', { for: 'sr-input' }, 'Input (params.input)'),
        e('textarea', { id: 'sr-input', rows: 3, value: input, onInput: (ev: Event) => setInput((ev.target as HTMLTextAreaElement).value), required: true }),
        e('button', { type: 'submit' }, 'Run (async)'),
        e(ErrorNote, { error }),
      ),
      e('div', { class: 'card' }, e(OpenById, { id: 'open-run', label: 'Open request id', onOpen: openRun })),
    ),
    e('div', { class: 'main' }, open ? e(RunPanel, { key: open, requestId: open }) : e('p', { class: 'muted' }, 'Start a run or open one by request id.')),
  );
}

function RunPanel({ requestId }: { requestId: string }): ComponentChildren {
  const [result, setResult] = useState<Envelope | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api<Envelope>(`/service_run_result?request_id=${encodeURIComponent(requestId)}`)
      .then((r) => {
        setResult(r);
        setError(null);
      })
      .catch((err: Error) => setError(`Result: ${err.message}`));
  useEffect(() => {
    void load();
  }, [requestId]);
  const state = (result?.result as { state?: string } | null)?.state;
  return e(
    'div',
    { 'data-testid': 'service-panel' },
    e(
      Section,
      { title: 'service_run_result' },
      e('div', { class: 'row' }, e('span', null, 'state '), e(Badge, { value: state ?? null }), e('button', { type: 'button', onClick: load }, 'Refresh')),
      e(ErrorNote, { error }),
      result ? e(Json, { value: result }) : null,
    ),
    e(JobPanel, { jobId: requestId, onChanged: () => void load() }),
  );
}
