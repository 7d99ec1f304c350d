import { IsInt, Max, Min } from 'class-validator';
import { DatabaseConfig } from '@platform/runtime';

export class CoordinatorConfig extends DatabaseConfig {
  @IsInt() @Min(1) @Max(65535)
  COORDINATOR_PORT = 8002;
}
