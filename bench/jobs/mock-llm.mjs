// The model server the job bench's agents call: OpenAI-compatible streaming chat completions.
import http from 'node:http';
import { sleep } from '../lib/report.mjs';

/**
 * OpenAI-compatible streaming chat-completions server (the protocol of test/support/mock-llm.ts):
 * `[[tokens=N delay=MS]]` in the messages sets how many tokens and how slowly. Bench extension:
 * `hold=NAME` makes the response wait (before the first token) until release(NAME), so streams can be
 * opened on a job that is running but quiet.
 */
export function startMockLlm() {
  const gates = new Map();
  const gate = (name) => {
    if (!gates.has(name)) {
      let release;
      const promise = new Promise((r) => (release = r));
      gates.set(name, { promise, release });
    }
    return gates.get(name);
  };
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return void res.writeHead(404).end();
    const parsed = JSON.parse(body);
    const text = parsed.messages.map((m) => m.content).join('\n');
    const tokens = Number(/tokens=(\d+)/.exec(text)?.[1] ?? 8);
    const delay = Number(/delay=(\d+)/.exec(text)?.[1] ?? 0);
    const hold = /hold=([\w-]+)/.exec(text)?.[1];
    let closed = false;
    res.on('close', () => (closed = true));
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const chunk = (content, finish = null) =>
      `data: ${JSON.stringify({ id: 'cmpl-1', object: 'chat.completion.chunk', created: 0, model: parsed.model, choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] })}\n\n`;
    if (hold) await gate(hold).promise;
    for (let i = 0; i < tokens; i++) {
      if (closed || res.destroyed) return;
      res.write(chunk(`tok${i} `));
      if (delay) await sleep(delay);
    }
    res.write(chunk(null, 'stop'));
    res.end('data: [DONE]\n\n');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/v1`,
        release: (name) => gate(name).release(),
        close: () => {
          for (const g of gates.values()) g.release();
          server.closeAllConnections();
          server.close();
        },
      }),
    ),
  );
}
