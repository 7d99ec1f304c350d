import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { JobRef, ListJobsQuery, ReadEventsQuery, SubmitJobCommand, Subjects, type Principal } from '@platform/contracts';
import { Caller } from '@platform/runtime';
import { JobsService } from './jobs.service';

/** NATS face of the job engine; the gateway's /v1/jobs/async routes land here (validation, context and errors: bootstrapService). */
@Controller()
export class JobsNatsController {
  constructor(private readonly jobs: JobsService) {}

  @MessagePattern(Subjects.jobs.agents)
  agents() {
    return this.jobs.agents();
  }

  @MessagePattern(Subjects.jobs.submit)
  submit(@Payload() cmd: SubmitJobCommand, @Caller() caller: Principal) {
    return this.jobs.submit(cmd, caller);
  }

  @MessagePattern(Subjects.jobs.get)
  get(@Payload() ref: JobRef, @Caller() caller: Principal) {
    return this.jobs.get(ref.job_id, caller);
  }

  @MessagePattern(Subjects.jobs.list)
  list(@Payload() q: ListJobsQuery, @Caller() caller: Principal) {
    return this.jobs.list(q, caller);
  }

  @MessagePattern(Subjects.jobs.cancel)
  cancel(@Payload() ref: JobRef, @Caller() caller: Principal) {
    return this.jobs.cancel(ref.job_id, caller);
  }

  @MessagePattern(Subjects.jobs.state)
  state(@Payload() ref: JobRef, @Caller() caller: Principal) {
    return this.jobs.state(ref.job_id, caller);
  }

  @MessagePattern(Subjects.jobs.report)
  report(@Payload() ref: JobRef, @Caller() caller: Principal) {
    return this.jobs.report(ref.job_id, caller);
  }

  @MessagePattern(Subjects.jobs.events)
  events(@Payload() q: ReadEventsQuery, @Caller() caller: Principal) {
    return this.jobs.events(q.job_id, q.after, q.limit ?? 1000, caller);
  }
}
