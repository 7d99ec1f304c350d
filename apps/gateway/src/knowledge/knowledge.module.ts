import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { GatewayConfig } from '../config';
import { CollectionsController } from './collections.http.controller';
import { DocumentUploadService } from './document-upload.service';
import { DocumentsController } from './documents.http.controller';
import { UploadStore } from './file-store';
import { UploadLimitGuard } from './upload-limits';

/** Knowledge API (/v1/collections, /v1/documents). Registered only when KNOWLEDGE_ENABLED is true. */
@Module({
  imports: [
    MulterModule.registerAsync({
      inject: [GatewayConfig],
      useFactory: (config: GatewayConfig) => ({
        // Memory storage (multer's default): the file goes straight on to the object store.
        limits: {
          fileSize: config.UPLOAD_MAX_FILE_BYTES,
          files: config.UPLOAD_MAX_FILES,
          fields: 10,
          fieldSize: 4096,
          parts: config.UPLOAD_MAX_FILES + 10,
          headerPairs: 100,
        },
        defParamCharset: 'utf8',
      }),
    }),
  ],
  controllers: [CollectionsController, DocumentsController],
  providers: [UploadStore, DocumentUploadService, UploadLimitGuard],
})
export class KnowledgeModule {}
