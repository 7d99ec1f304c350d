import { IsInt, Max, Min } from 'class-validator';
import { QueueConfig } from '@platform/runtime';

export class IngestorConfig extends QueueConfig {
  @IsInt() @Min(1) @Max(65535)
  INGESTOR_PORT = 8003;
}
