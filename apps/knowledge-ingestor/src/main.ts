import './tracing';
import 'reflect-metadata';
import { bootstrapService, loadConfig, runCli, runMigrations } from '@platform/runtime';
import { AppModule } from './app.module';
import { IngestorConfig } from './config';
import { database } from './database';

void runCli(
  async () => {
    const config = loadConfig(IngestorConfig);
    await bootstrapService({
      service: 'knowledge-ingestor',
      module: AppModule.forRoot(config),
      port: config.INGESTOR_PORT,
      natsUrl: config.NATS_URL,
      queue: 'knowledge-ingestor',
    });
  },
  () => runMigrations(loadConfig(IngestorConfig).DATABASE_URL, database),
);
