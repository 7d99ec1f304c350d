import { randomUUID } from 'node:crypto';
import { Injectable, PayloadTooLargeException, UnprocessableEntityException, UnsupportedMediaTypeException } from '@nestjs/common';
import { type DocumentFormat, ErrorCode, type StoredFileRef, Subjects } from '@platform/contracts';
import { Bus, RemoteError } from '@platform/runtime';
import { GatewayConfig } from '../config';
import { UploadStore } from './file-store';
import { CONTENT_TYPE_OF, detectFormat, sanitizeFilename, sha256, UnsupportedUpload, type UploadedPart } from './upload';

const FILE_FIELDS = new Set(['files', 'file']);

interface CheckedFile {
  part: UploadedPart;
  filename: string;
  format: DocumentFormat;
  sha: string;
}

/**
 * `POST /v1/documents` behind the controller: checks the uploaded parts (fields, sizes, formats),
 * puts the bytes in the object store and registers only references with knowledge-ingestor — leaving
 * no stored file behind that nobody references.
 */
@Injectable()
export class DocumentUploadService {
  constructor(
    private readonly bus: Bus,
    private readonly uploads: UploadStore,
    private readonly config: GatewayConfig,
  ) {}

  async upload(collectionName: string, parts: UploadedPart[]) {
    const files = this.check(parts);
    // 404 before anything is stored.
    await this.bus.request(Subjects.knowledge.collections.get, { name: collectionName });
    const refs = await this.store(files);
    try {
      return await this.bus.request(Subjects.knowledge.documents.register, { collection_name: collectionName, files: refs });
    } catch (err) {
      // On a timeout the ingestor may have taken them; otherwise nobody references the files.
      if (!(err instanceof RemoteError && err.code === ErrorCode.TIMEOUT)) await this.uploads.delete(refs.map((r) => r.object_name));
      throw err;
    }
  }

  /** 422 for stray fields or no file, 413 over the total size, 415 for a format the ingestor cannot parse. */
  private check(parts: UploadedPart[]): CheckedFile[] {
    const stray = parts.find((p) => !FILE_FIELDS.has(p.fieldname));
    if (stray) throw new UnprocessableEntityException({ detail: `Unexpected file field '${stray.fieldname.slice(0, 64)}'; send files as "files"` });
    if (parts.length === 0) throw new UnprocessableEntityException({ detail: 'At least one file is required (multipart field "files")' });
    const total = parts.reduce((n, p) => n + p.size, 0);
    if (total > this.config.UPLOAD_MAX_REQUEST_BYTES)
      throw new PayloadTooLargeException({ detail: `Files larger than ${this.config.UPLOAD_MAX_REQUEST_BYTES} bytes in total` });
    return parts.map((part) => {
      const filename = sanitizeFilename(part.originalname);
      try {
        return { part, filename, format: detectFormat(filename, part.mimetype, part.buffer), sha: sha256(part.buffer) };
      } catch (err) {
        if (err instanceof UnsupportedUpload) throw new UnsupportedMediaTypeException({ detail: err.message });
        throw err;
      }
    });
  }

  /** Puts every file in the object store; on a failure removes those already put (→ 503). */
  private async store(files: CheckedFile[]): Promise<StoredFileRef[]> {
    const refs: StoredFileRef[] = [];
    try {
      for (const f of files) {
        const object_name = `uploads/${randomUUID()}`;
        await this.uploads.put(object_name, f.part.buffer, f.filename);
        refs.push({
          object_name,
          filename: f.filename,
          format: f.format,
          content_type: (f.part.mimetype || CONTENT_TYPE_OF[f.format]).slice(0, 200),
          size_bytes: f.part.size,
          sha256: f.sha,
        });
      }
    } catch (err) {
      await this.uploads.delete(refs.map((r) => r.object_name));
      throw new RemoteError({ code: ErrorCode.SERVICE_UNAVAILABLE, status: 503, message: `File store unavailable: ${(err as Error).message}` });
    }
    return refs;
  }
}
