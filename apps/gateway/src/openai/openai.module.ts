import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { ServiceApiModule } from '../service-api/service-api.module';
import { OpenAiController } from './openai.http.controller';

/** The OpenAI-compatible front (model = service) over service runs. */
@Module({ imports: [JobsModule, ServiceApiModule], controllers: [OpenAiController] })
export class OpenAiModule {}
