import { JOBS_API } from '../jobs/jobs.routes';

/** The debug console page (AI-Q API): plain HTML and browser JS, served by DebugConsoleController. */
export const DEBUG_CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Agent jobs — debug console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; display: grid; grid-template-columns: 340px 1fr; height: 100vh; }
  aside { padding: 12px; border-right: 1px solid #ddd; overflow: auto; }
  main { display: grid; grid-template-rows: auto 1fr 1fr; overflow: hidden; }
  label { display: block; margin-top: 8px; font-weight: 600; }
  input, select, textarea, button { width: 100%; box-sizing: border-box; margin-top: 4px; font: inherit; }
  textarea { height: 90px; }
  pre { margin: 0; padding: 8px; overflow: auto; background: #fafafa; border-top: 1px solid #ddd; font-size: 12px; }
  #status { padding: 8px 12px; border-bottom: 1px solid #ddd; }
  .ev { white-space: pre-wrap; }
</style>
</head>
<body>
<aside>
  <h3>Submit a job</h3>
  <label>Bearer token (only with REQUIRE_AUTH)</label><input id="token" type="password" autocomplete="off">
  <label>Agent</label><select id="agent"></select>
  <label>Input</label><textarea id="input">What is retrieval-augmented generation?</textarea>
  <label>Collections (comma-separated, optional)</label><input id="collections">
  <button id="submit">Submit and stream</button>
  <label>Or watch an existing job id (a service run's request_id is one)</label><input id="jobId"><button id="watch">Stream</button>
  <button id="cancel">Cancel job</button>
  <button id="copy">Copy SSE log</button>
</aside>
<main>
  <div id="status">No job yet.</div>
  <pre id="events" class="ev"></pre>
  <pre id="state"></pre>
</main>
<script>
// Plain browser code: fetch for REST, EventSource for SSE. EventSource cannot send headers, so with
// auth on it streams through a short-lived stream ticket (POST …/stream-ticket) instead of the token.
const base = '/${JOBS_API}';
const $ = (id) => document.getElementById(id);
let source, current, lines = [];
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const headers = () => ($('token').value ? { authorization: 'Bearer ' + $('token').value } : {});
async function api(path, init = {}) {
  const res = await fetch(base + path, { ...init, headers: { 'content-type': 'application/json', ...headers(), ...(init.headers || {}) } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(res.status + ' ' + JSON.stringify(body));
  return body;
}
async function loadAgents() {
  try {
    const { agents } = await api('/agents');
    $('agent').innerHTML = agents.map((a) => '<option value="' + esc(a.agent_type) + '" title="' + esc(a.description) + '">' + esc(a.agent_type) + '</option>').join('');
  } catch (e) { $('status').textContent = 'Agents: ' + e.message; }
}
async function refreshState() {
  if (!current) return;
  try { $('state').textContent = JSON.stringify(await api('/job/' + current + '/state'), null, 2); } catch { /* not yet */ }
}
async function stream(id) {
  current = id; lines = []; $('events').textContent = '';
  if (source) source.close();
  let url = base + '/job/' + encodeURIComponent(id) + '/stream';
  if ($('token').value) url += '?ticket=' + encodeURIComponent((await api('/job/' + encodeURIComponent(id) + '/stream-ticket', { method: 'POST' })).ticket);
  source = new EventSource(url);
  $('status').textContent = 'Job ' + id + ': connecting…';
  const show = (type) => (e) => {
    const line = (e.lastEventId ? '#' + e.lastEventId + ' ' : '') + type + ' ' + e.data;
    lines.push(line); $('events').textContent += line + '\\n'; $('events').scrollTop = 1e9;
    if (type === 'job.status') {
      const s = JSON.parse(e.data).data.status; $('status').textContent = 'Job ' + id + ': ' + s;
      if (['success', 'failure', 'interrupted'].includes(s)) { source.close(); refreshState(); }
    }
    if (type === 'artifact.update' || type === 'tool.end') refreshState();
  };
  for (const t of ['job.status', 'job.error', 'workflow.start', 'workflow.end', 'llm.start', 'llm.chunk', 'llm.end', 'tool.start', 'tool.end', 'artifact.update', 'stream.mode']) source.addEventListener(t, show(t));
}
$('submit').onclick = async () => {
  try {
    const collections = $('collections').value.split(',').map((s) => s.trim()).filter(Boolean);
    const body = { agent_type: $('agent').value, input: $('input').value, ...(collections.length ? { collections } : {}) };
    const job = await api('/submit', { method: 'POST', body: JSON.stringify(body) });
    $('jobId').value = job.job_id; await stream(job.job_id);
  } catch (e) { $('status').textContent = e.message; }
};
$('watch').onclick = () => $('jobId').value && stream($('jobId').value).catch((e) => ($('status').textContent = e.message));
$('cancel').onclick = async () => { try { await api('/job/' + current + '/cancel', { method: 'POST' }); } catch (e) { $('status').textContent = e.message; } };
$('copy').onclick = () => navigator.clipboard.writeText(lines.join('\\n'));
loadAgents();
</script>
</body>
</html>
`;
