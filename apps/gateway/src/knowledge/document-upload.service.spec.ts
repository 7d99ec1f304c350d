import { describe, expect, it } from '@jest/globals';
import { HttpException } from '@nestjs/common';
import { ErrorCode, Subjects } from '@platform/contracts';
import { type Bus, RemoteError } from '@platform/runtime';
import type { GatewayConfig } from '../config';
import { DocumentUploadService } from './document-upload.service';
import type { UploadStore } from './file-store';
import type { UploadedPart } from './upload';

const part = (originalname: string, content = 'hello', fieldname = 'files'): UploadedPart => ({
  fieldname,
  originalname,
  mimetype: 'text/plain',
  size: content.length,
  buffer: Buffer.from(content),
});

/** The service against a scripted bus and object store: what is stored, registered and cleaned up. */
function harness(opts: { failPutAt?: number; register?: () => Promise<unknown> } = {}) {
  const calls: string[] = [];
  const stored = new Set<string>();
  const bus = {
    request: async (subject: string) => {
      calls.push(subject);
      if (subject === Subjects.knowledge.documents.register) return (opts.register ?? (async () => ({ documents: [] })))();
      return {};
    },
  } as unknown as Bus;
  let puts = 0;
  const store = {
    put: async (name: string) => {
      if (++puts === opts.failPutAt) throw new Error('bucket gone');
      stored.add(name);
    },
    delete: async (names: string[]) => names.forEach((n) => stored.delete(n)),
  } as unknown as UploadStore;
  const service = new DocumentUploadService(bus, store, { UPLOAD_MAX_REQUEST_BYTES: 1000 } as GatewayConfig);
  return { service, calls, stored };
}

const status = (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (err: unknown) => (err instanceof HttpException ? err.getStatus() : err instanceof RemoteError ? err.status : -1),
  );

describe('DocumentUploadService', () => {
  it('refuses bad uploads before asking anyone or storing anything', async () => {
    const h = harness();
    expect(await status(h.service.upload('c', [part('a.txt', 'x', 'other')]))).toBe(422);
    expect(await status(h.service.upload('c', []))).toBe(422);
    expect(await status(h.service.upload('c', [part('a.txt', 'x'.repeat(1001))]))).toBe(413);
    expect(await status(h.service.upload('c', [part('a.txt', 'binary\u0000')]))).toBe(415);
    expect(h.calls).toEqual([]);
    expect(h.stored.size).toBe(0);
  });

  it('checks the collection, stores the files and registers them', async () => {
    const h = harness();
    expect(await h.service.upload('c', [part('a.txt'), part('b.md')])).toEqual({ documents: [] });
    expect(h.calls).toEqual([Subjects.knowledge.collections.get, Subjects.knowledge.documents.register]);
    expect(h.stored.size).toBe(2);
  });

  it('removes what it stored when the store fails midway (503) or the ingestor refuses, not on a timeout', async () => {
    const failedPut = harness({ failPutAt: 2 });
    expect(await status(failedPut.service.upload('c', [part('a.txt'), part('b.txt')]))).toBe(503);
    expect(failedPut.stored.size).toBe(0);

    const refused = harness({ register: () => Promise.reject(new RemoteError({ code: ErrorCode.INVALID_REQUEST, status: 422, message: 'no' })) });
    expect(await status(refused.service.upload('c', [part('a.txt')]))).toBe(422);
    expect(refused.stored.size).toBe(0);

    const timedOut = harness({ register: () => Promise.reject(new RemoteError({ code: ErrorCode.TIMEOUT, status: 504, message: 'slow' })) });
    expect(await status(timedOut.service.upload('c', [part('a.txt')]))).toBe(504);
    expect(timedOut.stored.size).toBe(1); // the ingestor may have taken it
  });
});
