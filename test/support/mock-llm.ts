import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LlmCall {
  model: string;
  messages: { role: string; content: string }[];
  aborted: boolean;
  finished: boolean;
}

/**
 * A local server that speaks the OpenAI chat-completions streaming protocol (SSE `data:` chunks and
 * `[DONE]`). A `[[tokens=N delay=MS]]` directive anywhere in the last user message sets how many
 * tokens it streams and how slowly — tests use it to keep a job running. `size=BYTES` in the same
 * directive pads each token to about that many characters (the fault suite's slow-reader scenario).
 * `[[fail]]` makes it answer 500 instead, as a model server that is down.
 */
export class MockLlm {
  readonly calls: LlmCall[] = [];
  private server?: http.Server;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    const parsed = JSON.parse(body) as { model: string; messages: LlmCall['messages'] };
    const call: LlmCall = { model: parsed.model, messages: parsed.messages, aborted: false, finished: false };
    this.calls.push(call);
    const text = parsed.messages.map((m) => m.content).join('\n');
    if (text.includes('[[fail]]')) {
      call.finished = true;
      res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message: 'mock model failure', type: 'server_error' } }));
      return;
    }
    const tokens = Number(/tokens=(\d+)/.exec(text)?.[1] ?? 8);
    const delay = Number(/delay=(\d+)/.exec(text)?.[1] ?? 0);
    const size = Number(/size=(\d+)/.exec(text)?.[1] ?? 0);
    const pad = size > 8 ? 'x'.repeat(size - 8) : '';
    res.on('close', () => {
      if (!call.finished) call.aborted = true;
    });
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const chunk = (content: string | null, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'cmpl-1', object: 'chat.completion.chunk', created: 0, model: parsed.model, choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] })}\n\n`;
    for (let i = 0; i < tokens; i++) {
      if (call.aborted || res.destroyed) return;
      res.write(chunk(`tok${i}${pad} `));
      if (delay) await new Promise((r) => setTimeout(r, delay));
    }
    call.finished = true;
    res.write(chunk(null, 'stop'));
    res.end('data: [DONE]\n\n');
  }
}
