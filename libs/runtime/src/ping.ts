import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Subjects, type PingReply, type ServiceName } from '@platform/contracts';
import { checkAll, HEALTH_CHECKS, SERVICE_INFO, type HealthCheck, type ServiceInfo } from './health';

/** Answers the gateway's readiness ping over NATS with this service's own dependency states. */
export function pingController(service: ServiceName): Type<unknown> {
  @Controller()
  class PingController {
    constructor(
      @Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[],
      @Inject(SERVICE_INFO) private readonly info: ServiceInfo,
    ) {}

    @MessagePattern(Subjects.platform.ping[service])
    async ping(): Promise<PingReply> {
      const dependencies = await checkAll(this.checks);
      return { service, version: this.info.version, ready: Object.values(dependencies).every((s) => s === 'up'), dependencies };
    }
  }
  return PingController;
}
