import { parentPort, workerData } from 'node:worker_threads';
import type { DocumentFormat } from '@platform/contracts';
import { extractText, ParseError } from './parsers';

/** Worker-thread entry: parses one upload so a hostile file can be killed on timeout or heap cap without touching the service. */
const { format, bytes } = workerData as { format: DocumentFormat; bytes: Uint8Array };
extractText(format, bytes).then(
  (text) => parentPort!.postMessage({ ok: true, text }),
  (err: unknown) => parentPort!.postMessage({ ok: false, parse: err instanceof ParseError, message: (err as Error)?.message ?? String(err) }),
);
