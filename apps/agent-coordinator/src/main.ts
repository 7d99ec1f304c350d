import './tracing';
import 'reflect-metadata';
import { bootstrapService, loadConfig, runCli, runMigrations } from '@platform/runtime';
import { AppModule } from './app.module';
import { CoordinatorConfig } from './config';
import { database } from './database';

void runCli(
  async () => {
    const config = loadConfig(CoordinatorConfig);
    await bootstrapService({
      service: 'agent-coordinator',
      module: AppModule.forRoot(config),
      port: config.COORDINATOR_PORT,
      natsUrl: config.NATS_URL,
      queue: 'agent-coordinator',
    });
  },
  () => runMigrations(loadConfig(CoordinatorConfig).DATABASE_URL, database),
);
