import { Inject, Injectable, type Type } from '@nestjs/common';
import type { Queue } from 'bull';
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

/**
 * Redis, pinged through the client of a Bull queue the app already holds. Pass the queue's injection
 * token (`getQueueToken(JOBS_QUEUE)` from @nestjs/bull), and import the module that provides the queue in
 * `ServiceHealthModule.forRoot`'s `imports`. Taking the token keeps @nestjs/bull (about a second to load)
 * out of the apps that have no queue.
 */
export function redisHealth(queueToken: string): Type<HealthCheck> {
  @Injectable()
  class RedisHealth implements HealthCheck {
    readonly name = 'redis';
    constructor(@Inject(queueToken) private readonly queue: Pick<Queue, 'client'>) {}
    async isUp(): Promise<boolean> {
      return (await this.queue.client.ping()) === 'PONG';
    }
  }
  return RedisHealth;
}
