import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { BodyTokenMiddleware } from './body-token.middleware';
import { CompoundTasks } from './compound-tasks';
import { CompoundController } from './compound.http.controller';
import { CompoundRoutes } from './compound.routes';

/** Compound tasks (seed 003) over the job engine. */
@Module({ imports: [JobsModule], controllers: [CompoundController], providers: [CompoundTasks] })
export class CompoundModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(BodyTokenMiddleware).forRoutes({ path: CompoundRoutes.submit, method: RequestMethod.POST });
  }
}
