import {
  type ArgumentsHost,
  BadRequestException,
  Body,
  Catch,
  type ExceptionFilter,
  type CanActivate,
  Controller,
  Delete,
  type ExecutionContext,
  Get,
  HttpCode,
  Injectable,
  Param,
  PayloadTooLargeException,
  Post,
  Query,
  UnprocessableEntityException,
  UnsupportedMediaTypeException,
  UploadedFiles,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { ErrorCode, ListDocumentsQuery, UploadDocumentsForm, type StoredFileRef, Subjects } from '@platform/contracts';
import { Bus, RemoteError } from '@platform/runtime';
import { GatewayConfig } from '../config';
import { documentId } from '../http/not-found';
import { UploadStore } from './file-store';
import { CONTENT_TYPE_OF, detectFormat, sanitizeFilename, sha256, UnsupportedUpload, type UploadedPart } from './upload';

const FILE_FIELDS = new Set(['files', 'file']);

/** Before multer reads a byte: the request must be multipart and its declared size within the limit. */
@Injectable()
export class UploadLimitGuard implements CanActivate {
  constructor(private readonly config: GatewayConfig) {}
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      throw new UnsupportedMediaTypeException({ detail: 'Upload documents as multipart/form-data with one or more "files" parts' });
    }
    const length = Number(req.headers['content-length']);
    if (Number.isFinite(length) && length > this.config.UPLOAD_MAX_REQUEST_BYTES) {
      throw new PayloadTooLargeException({ detail: `Request larger than ${this.config.UPLOAD_MAX_REQUEST_BYTES} bytes` });
    }
    return true;
  }
}

/** multer's count limits come out as 400; over a configured limit is a 413 like an oversize file. Other 400s stay 400. */
@Catch(BadRequestException)
export class UploadLimitsFilter implements ExceptionFilter {
  catch(exception: BadRequestException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return void res.end();
    const tooMany = /^Too many (files|parts|fields)$/.test(exception.message);
    res.status(tooMany ? 413 : 400).json({ detail: tooMany ? `${exception.message} in one upload` : exception.message });
  }
}

/** Knowledge API: documents. The bytes go to the object store; only a reference goes to knowledge-ingestor. */
@ApiTags('knowledge')
@Controller('v1/documents')
@UseFilters(UploadLimitsFilter)
export class DocumentsController {
  constructor(
    private readonly bus: Bus,
    private readonly uploads: UploadStore,
    private readonly config: GatewayConfig,
  ) {}

  @Post()
  @HttpCode(202)
  @UseGuards(UploadLimitGuard)
  @UseInterceptors(AnyFilesInterceptor())
  @ApiOperation({ summary: 'Upload files into a collection; ingestion runs in the background' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['collection_name', 'files'],
      properties: { collection_name: { type: 'string' }, files: { type: 'array', items: { type: 'string', format: 'binary' } } },
    },
  })
  async upload(@Body() form: UploadDocumentsForm, @UploadedFiles() parts: UploadedPart[] | undefined) {
    const all = parts ?? [];
    const stray = all.find((p) => !FILE_FIELDS.has(p.fieldname));
    if (stray) throw new UnprocessableEntityException({ detail: `Unexpected file field '${stray.fieldname.slice(0, 64)}'; send files as "files"` });
    if (all.length === 0) throw new UnprocessableEntityException({ detail: 'At least one file is required (multipart field "files")' });
    const total = all.reduce((n, p) => n + p.size, 0);
    if (total > this.config.UPLOAD_MAX_REQUEST_BYTES)
      throw new PayloadTooLargeException({ detail: `Files larger than ${this.config.UPLOAD_MAX_REQUEST_BYTES} bytes in total` });

    const files = all.map((p) => {
      const filename = sanitizeFilename(p.originalname);
      let format;
      try {
        format = detectFormat(filename, p.mimetype, p.buffer);
      } catch (err) {
        if (err instanceof UnsupportedUpload) throw new UnsupportedMediaTypeException({ detail: err.message });
        throw err;
      }
      return { part: p, filename, format, sha: sha256(p.buffer) };
    });

    // 404 before anything is stored.
    await this.bus.request(Subjects.knowledge.collections.get, { name: form.collection_name });

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
    try {
      return await this.bus.request(Subjects.knowledge.documents.register, { collection_name: form.collection_name, files: refs });
    } catch (err) {
      // On a timeout the ingestor may have taken them; otherwise nobody references the files.
      if (!(err instanceof RemoteError && err.code === ErrorCode.TIMEOUT)) await this.uploads.delete(refs.map((r) => r.object_name));
      throw err;
    }
  }

  @Get()
  @ApiOperation({ summary: "List the caller's documents (optionally of one collection)" })
  list(@Query() q: ListDocumentsQuery) {
    return this.bus.request(Subjects.knowledge.documents.list, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a document and its ingestion status' })
  get(@Param('id') id: string) {
    return this.bus.request(Subjects.knowledge.documents.get, { document_id: documentId(id) });
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a document, its chunks and its stored file' })
  remove(@Param('id') id: string) {
    return this.bus.request(Subjects.knowledge.documents.delete, { document_id: documentId(id) });
  }
}
