import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UploadedFiles, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListDocumentsQuery, UploadDocumentsForm, Subjects } from '@platform/contracts';
import { Bus } from '@platform/runtime';
import { documentId } from '../http/not-found';
import { DocumentUploadService } from './document-upload.service';
import type { UploadedPart } from './upload';
import { UploadLimitGuard, UploadLimitsFilter } from './upload-limits';

/** Knowledge API: documents. The bytes go to the object store; only a reference goes to knowledge-ingestor. */
@ApiTags('knowledge')
@Controller('v1/documents')
@UseFilters(UploadLimitsFilter)
export class DocumentsController {
  constructor(
    private readonly bus: Bus,
    private readonly uploads: DocumentUploadService,
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
  upload(@Body() form: UploadDocumentsForm, @UploadedFiles() parts: UploadedPart[] | undefined) {
    return this.uploads.upload(form.collection_name, parts ?? []);
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
