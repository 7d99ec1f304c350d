import { Controller, Get, HttpStatus, Inject, Module, Res, type DynamicModule, type Type } from '@nestjs/common';
import type { Response } from 'express';

/** One dependency a service needs to do its work (database, Redis, NATS…). */
export interface HealthCheck {
  readonly name: string;
  isUp(): Promise<boolean>;
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');
export const SERVICE_INFO = Symbol('SERVICE_INFO');
export interface ServiceInfo {
  service: string;
  version: string;
}

export async function checkAll(checks: HealthCheck[], timeoutMs = 2000): Promise<Record<string, 'up' | 'down'>> {
  const results = await Promise.all(
    checks.map(async (c) => {
      const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
      const up = await Promise.race([c.isUp().catch(() => false), timer]);
      return [c.name, up ? 'up' : 'down'] as const;
    }),
  );
  return Object.fromEntries(results);
}

/** Kubernetes probes for a backend service: liveness is "the process answers", readiness checks its own dependencies. */
@Controller('health')
export class ServiceHealthController {
  constructor(
    @Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[],
    @Inject(SERVICE_INFO) private readonly info: ServiceInfo,
  ) {}

  @Get()
  live() {
    return { status: 'healthy', service: this.info.service, version: this.info.version, timestamp: new Date().toISOString() };
  }

  @Get('live')
  liveness() {
    return this.live();
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    const dependencies = await checkAll(this.checks);
    const ready = Object.values(dependencies).every((s) => s === 'up');
    res.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ready ? 'ready' : 'not_ready', service: this.info.service, dependencies };
  }
}

@Module({})
export class ServiceHealthModule {
  /** `imports` are the modules whose exports the checks inject (a queue, a client). */
  static forRoot(info: ServiceInfo, checks: Type<HealthCheck>[], imports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: ServiceHealthModule,
      imports,
      controllers: [ServiceHealthController],
      providers: [...checks, { provide: SERVICE_INFO, useValue: info }, { provide: HEALTH_CHECKS, useFactory: (...all: HealthCheck[]) => all, inject: checks }],
      exports: [HEALTH_CHECKS, SERVICE_INFO],
    };
  }
}
