import { Module } from '@nestjs/common';
import { JobEnds } from './job-ends';
import { JobStream } from './job-stream';
import { JobsController } from './jobs.http.controller';
import { LiveEvents } from './live-events';

@Module({ controllers: [JobsController], providers: [JobStream, LiveEvents, JobEnds], exports: [JobStream, JobEnds] })
export class JobsModule {}
