import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Subjects, SubmitServiceRunCommand, type Principal } from '@platform/contracts';
import { Caller } from '@platform/runtime';
import { ServicesService } from './services.service';

/** NATS face of the service catalog; the gateway's service API and OpenAI-compatible routes land here to start a run. */
@Controller()
export class ServicesNatsController {
  constructor(private readonly services: ServicesService) {}

  @MessagePattern(Subjects.services.list)
  list() {
    return this.services.list();
  }

  @MessagePattern(Subjects.services.submit)
  submit(@Payload() cmd: SubmitServiceRunCommand, @Caller() caller: Principal) {
    return this.services.submit(cmd, caller);
  }
}
