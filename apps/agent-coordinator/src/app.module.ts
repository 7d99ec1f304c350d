import { type DynamicModule, Module } from '@nestjs/common';
import {
  AppConfigModule,
  BusModule,
  DatabaseHealth,
  databaseModule,
  loggingModule,
  MetricsModule,
  NatsHealth,
  pingController,
  ServiceHealthModule,
} from '@platform/runtime';
import { CoordinatorConfig } from './config';
import { CoordinatorModule } from './coordinator.module';
import { database } from './database';
import { version } from '../../../package.json';

@Module({})
export class AppModule {
  static forRoot(config: CoordinatorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(CoordinatorConfig, config),
        // GET /metrics on the probe port (COORDINATOR_PORT).
        MetricsModule.forRoot('agent-coordinator', { endpoint: true }),
        loggingModule('agent-coordinator', config.LOG_LEVEL),
        BusModule.forRoot({
          url: config.NATS_URL,
          name: 'agent-coordinator',
          requestTimeoutMs: config.NATS_REQUEST_TIMEOUT_MS,
        }),
        databaseModule(config.DATABASE_URL, config.DATABASE_POOL_SIZE, database, config.DATABASE_BREAKER_PROBE_MS),
        CoordinatorModule,
        ServiceHealthModule.forRoot({ service: 'agent-coordinator', version }, [DatabaseHealth, NatsHealth]),
      ],
      controllers: [pingController('agent-coordinator')],
    };
  }
}
