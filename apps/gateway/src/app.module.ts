import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { AppConfigModule, BusModule, loggingModule } from '@platform/runtime';
import { GatewayConfig } from './config';
import { DebugConsoleController } from './console/debug-console.http.controller';
import { HealthController } from './health/health.http.controller';
import { RequestContextMiddleware } from './http/request-context.middleware';
import { streamRoutesIn } from './http/stream-route';
import { JobsModule } from './jobs/jobs.module';
import { GatewayAuthModule } from './auth/auth.module';
import { LimitsModule } from './limits/limits.module';
import { KnowledgeModule } from './knowledge/knowledge.module';
import { CoordinatorModule } from './coordinator/coordinator.module';
import { OpenAiModule } from './openai/openai.module';
import { ServiceApiModule } from './service-api/service-api.module';
import { CompoundModule } from './compound/compound.module';

/** The public edge: every API surface, translated to NATS requests. Holds no database. */
@Module({})
export class AppModule implements NestModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const features = [
      GatewayAuthModule,
      JobsModule,
      ...(config.KNOWLEDGE_ENABLED ? [KnowledgeModule] : []),
      // Before CoordinatorModule: the literal `tasks/recent` must be routed before `tasks/:task_id`.
      CompoundModule,
      CoordinatorModule,
      ServiceApiModule,
      OpenAiModule,
    ];
    const controllers = [HealthController, DebugConsoleController];
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(GatewayConfig, config),
        // Streams (every @StreamRoute() handler) get no per-request logger.
        loggingModule('gateway', config.LOG_LEVEL, streamRoutesIn(features, controllers)),
        BusModule.forRoot({ url: config.NATS_URL, name: 'gateway', requestTimeoutMs: config.NATS_REQUEST_TIMEOUT_MS }),
        LimitsModule,
        ...features,
      ],
      controllers,
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestContextMiddleware).forRoutes('*path');
  }
}
