import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Bus } from './bus';
import type { HealthCheck } from './health';

@Injectable()
export class NatsHealth implements HealthCheck {
  readonly name = 'nats';
  constructor(private readonly bus: Bus) {}
  isUp(): Promise<boolean> {
    return this.bus.isConnected();
  }
}

@Injectable()
export class DatabaseHealth implements HealthCheck {
  readonly name = 'postgres';
  constructor(private readonly db: DataSource) {}
  async isUp(): Promise<boolean> {
    await this.db.query('SELECT 1');
    return true;
  }
}
