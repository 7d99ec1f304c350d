import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CompoundTaskRef, RecentTasksRequest, Subjects, SubmitCompoundCommand, type Principal } from '@platform/contracts';
import { Caller } from '@platform/runtime';
import { CompoundService } from './compound.service';

/** NATS face of compound tasks; the gateway's /task and /tasks routes land here. */
@Controller()
export class CompoundNatsController {
  constructor(private readonly compound: CompoundService) {}

  @MessagePattern(Subjects.compound.submit)
  submit(@Payload() cmd: SubmitCompoundCommand, @Caller() caller: Principal) {
    return this.compound.submit(cmd.prompt, caller);
  }

  @MessagePattern(Subjects.compound.progress)
  progress(@Payload() ref: CompoundTaskRef, @Caller() caller: Principal) {
    return this.compound.progress(ref.task_id, caller);
  }

  @MessagePattern(Subjects.compound.recent)
  recent(@Payload() q: RecentTasksRequest, @Caller() caller: Principal) {
    return this.compound.recent(q.limit, caller);
  }

  @MessagePattern(Subjects.compound.cancel)
  cancel(@Payload() ref: CompoundTaskRef, @Caller() caller: Principal) {
    return this.compound.cancel(ref.task_id, caller);
  }
}
