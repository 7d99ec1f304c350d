import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DocumentFormat } from '@platform/contracts';
import { extractText, ParseError } from './parsers';

/** Formats whose parsers are heavy enough to isolate: a PDF or a huge HTML page can take seconds and lots of heap. */
const ISOLATED: ReadonlySet<DocumentFormat> = new Set(['pdf', 'html']);

export interface ParseLimits {
  timeoutMs: number;
  maxHeapMb: number;
}

/**
 * Text, Markdown and JSON parse in-process (linear and cheap); PDF and HTML parse in a worker thread
 * with a deadline and a heap cap, so a pathological file fails its document instead of stalling or
 * crashing the service.
 */
export async function parseUpload(format: DocumentFormat, bytes: Uint8Array, limits: ParseLimits): Promise<string> {
  if (!ISOLATED.has(format)) return extractText(format, bytes);
  return new Promise<string>((resolve, reject) => {
    const thread = new Worker(path.join(__dirname, 'parse.worker.js'), {
      workerData: { format, bytes },
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb },
      stdout: true,
      stderr: true,
    });
    // pdf.js prints warnings on stdout; drain them so they neither buffer up nor leak into the JSON log.
    thread.stdout.resume();
    thread.stderr.resume();
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void thread.terminate();
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new ParseError(`Parsing took longer than ${limits.timeoutMs} ms`))), limits.timeoutMs);
    thread.on('message', (m: { ok: boolean; text?: string; parse?: boolean; message?: string }) =>
      finish(() =>
        m.ok ? resolve(m.text ?? '') : reject(m.parse ? new ParseError(m.message ?? 'parse failed') : new ParseError(`Parser failed: ${m.message}`)),
      ),
    );
    thread.on('error', (err) => finish(() => reject(new ParseError(`Parser crashed: ${err.message}`))));
    thread.on('exit', (code) => finish(() => reject(new ParseError(`Parser exited with code ${code}`))));
  });
}
