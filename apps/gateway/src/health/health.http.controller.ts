import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '@platform/auth';
import { SERVICE_NAMES, Subjects } from '@platform/contracts';
import { Bus } from '@platform/runtime';
import { version } from '../../../../package.json';

type State = 'up' | 'down';

/** `/health` is liveness (the agent coordinator API's shape); `/health/ready` checks NATS and pings the other three services. Probes send no credentials and are not rate-limited. */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly bus: Bus) {}

  @Get()
  async health(@Res({ passthrough: true }) res: Response) {
    const connected = await this.bus.isConnected();
    if (!connected) res.status(HttpStatus.SERVICE_UNAVAILABLE).setHeader('Retry-After', '2');
    return { status: connected ? 'healthy' : 'unhealthy', version, timestamp: new Date().toISOString() };
  }

  /** Liveness: the process answers. Independent of NATS so an outage does not restart every gateway. */
  @Get('live')
  live() {
    return { status: 'alive', version, timestamp: new Date().toISOString() };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    const nats: State = (await this.bus.isConnected()) ? 'up' : 'down';
    const services: Record<string, { status: State; version?: string; dependencies?: Record<string, State>; error?: string }> = Object.fromEntries(
      await Promise.all(
        SERVICE_NAMES.map(async (name) => {
          try {
            const reply = await this.bus.request(Subjects.platform.ping[name], {}, 2000);
            return [name, { status: reply.ready ? 'up' : 'down', version: reply.version, dependencies: reply.dependencies }] as const;
          } catch (err) {
            return [name, { status: 'down' as State, error: (err as Error).message }] as const;
          }
        }),
      ),
    );
    const ready = nats === 'up' && Object.values(services).every((s) => s.status === 'up');
    res.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    if (!ready) res.setHeader('Retry-After', '2'); // like every 503 of the gateway
    return { status: ready ? 'ready' : 'not_ready', version, timestamp: new Date().toISOString(), dependencies: { nats }, services };
  }
}
