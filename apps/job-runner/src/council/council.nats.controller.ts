import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CouncilListQuery, CouncilRef, Subjects, SubmitCouncilCommand, type Principal } from '@platform/contracts';
import { Caller } from '@platform/runtime';
import { CouncilService } from './council.service';

/** NATS face of the AI council; the gateway's /api/v1/requests routes land here. */
@Controller()
export class CouncilNatsController {
  constructor(private readonly council: CouncilService) {}

  @MessagePattern(Subjects.council.submit)
  submit(@Payload() cmd: SubmitCouncilCommand, @Caller() caller: Principal) {
    return this.council.submit(cmd, caller);
  }

  @MessagePattern(Subjects.council.get)
  get(@Payload() ref: CouncilRef, @Caller() caller: Principal) {
    return this.council.get(ref.request_id, ref.include_deliberation ?? false, caller);
  }

  @MessagePattern(Subjects.council.list)
  list(@Payload() q: CouncilListQuery, @Caller() caller: Principal) {
    return this.council.list(q.limit ?? 20, q.offset ?? 0, caller);
  }

  @MessagePattern(Subjects.council.cancel)
  cancel(@Payload() ref: CouncilRef, @Caller() caller: Principal) {
    return this.council.cancel(ref.request_id, caller);
  }
}
