/*
 * The console's calls to the gateway. The bearer token lives in this module's memory only: never in a
 * URL, a cookie or web storage, so it is gone when the tab closes. EventSource cannot send it, so a
 * stream is opened with a short-lived stream ticket (`?ticket=`) fetched with the token.
 */

let token = '';

export function setToken(value: string): void {
  token = value.trim();
}

export const hasToken = (): boolean => token !== '';

export const JOBS = '/v1/jobs/async';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${status}: ${describe(body)}`);
  }
}

function describe(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.detail === 'string') return b.detail;
    if (Array.isArray(b.detail)) return b.detail.map((d: { loc?: string[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg ?? ''}`).join('; ');
    if (b.error && typeof b.error === 'object') return String((b.error as { message?: unknown }).message ?? JSON.stringify(b.error));
    if (typeof b.message === 'string') return b.message;
  }
  return JSON.stringify(body);
}

/** A JSON call; throws ApiError on a non-2xx answer. 204 resolves to null. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    cache: 'no-store',
  });
  if (res.status === 204) return null as T;
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body as T;
}

/**
 * A stream URL an EventSource can open: as is without a token, else with a stream ticket. Tickets
 * come from `ticketPath` (POST, answering `{ticket}`): the job API's for jobs, service runs and
 * compound tasks (their ids are job ids), the council API's own for council requests.
 */
export async function streamUrl(path: string, ticketPath: string): Promise<string> {
  if (!token) return path;
  const { ticket } = await api<{ ticket: string }>(ticketPath, { method: 'POST' });
  return `${path}${path.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`;
}

/** The job API's stream-ticket route for a job id. */
export const jobTicketPath = (jobId: string): string => `${JOBS}/job/${encodeURIComponent(jobId)}/stream-ticket`;
