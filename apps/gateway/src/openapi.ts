import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { version } from '../../../package.json';

/** OpenAPI document at /openapi.json and Swagger UI at /docs (agent coordinator API). */
export function mountOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Agent job platform')
      .setDescription('Async agent jobs with SSE replay, agent coordination, knowledge collections, and the service_run, compound-task and council dialects.')
      .setVersion(version)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json' });
}
