import { Module } from '@nestjs/common';
import { JobStream } from './job-stream';
import { JobsController } from './jobs.http.controller';
import { LiveEvents } from './live-events';

@Module({ controllers: [JobsController], providers: [JobStream, LiveEvents], exports: [JobStream] })
export class JobsModule {}
