import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res, UnprocessableEntityException } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { COMPOUND_ID_PATTERN, CompoundTaskDto, ErrorCode, RECENT_TASKS_DEFAULT, RECENT_TASKS_MAX, RecentTasksQuery, Subjects } from '@platform/contracts';
import { Bus, RemoteError } from '@platform/runtime';
import { notFound } from '../http/not-found';
import { StreamRoute } from '../http/stream-route';
import { JobStream } from '../jobs/job-stream';
import { parseEventId } from '../jobs/sse';
import { CompoundTasks } from './compound-tasks';
import { CANCEL_REPLY, COMPOUND_TASK_ACCEPTED, COMPOUND_TASK_BODY, DETAIL, TASK_PROGRESS, TASK_SUMMARIES } from './compound.openapi';
import { CompoundRoutes } from './compound.routes';

/** A task id in a path: anything that cannot be one is the same 404 as an unknown one. */
function taskId(raw: string): string {
  if (!COMPOUND_ID_PATTERN.test(raw)) throw notFound('Task not found');
  return raw;
}

/**
 * Compound tasks (seed 003) as a dialect of the job engine: a task is a parent job of agent type
 * `compound` whose id is the task id, its subtasks child jobs. Thin: job-runner plans, runs and projects.
 */
@ApiTags('compound tasks (seed 003)')
@ApiBearerAuth()
@ApiResponse({ status: 422, description: 'Invalid input (FastAPI shape)', schema: DETAIL })
@ApiResponse({ status: 404, description: 'No such task for this caller', schema: DETAIL })
@Controller()
export class CompoundController {
  constructor(
    private readonly bus: Bus,
    private readonly tasks: CompoundTasks,
    private readonly stream: JobStream,
  ) {}

  @Post(CompoundRoutes.submit)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Submit a compound task',
    description:
      "Plans the prompt into subtasks (the tier-1 model, else the deterministic planner) and runs them as child jobs. Answers once the plan exists; past COMPOUND_PLAN_TIMEOUT_MS 202 with status `planning` (the task goes on). Credentials: the Authorization header, or the body's `token`.",
  })
  @ApiBody({ schema: COMPOUND_TASK_BODY })
  @ApiOkResponse({ schema: COMPOUND_TASK_ACCEPTED })
  @ApiResponse({ status: 202, description: 'Accepted, not planned yet', schema: COMPOUND_TASK_ACCEPTED })
  async submit(@Body() body: CompoundTaskDto, @Res({ passthrough: true }) res: Response) {
    const accepted = await this.tasks.start(body.prompt);
    if (accepted.status === 'planning') res.status(202);
    return accepted;
  }

  @Get(CompoundRoutes.progress)
  @ApiOperation({ summary: "A task's progress: its plan and every subtask's state, result and cost (the caller's own tasks only)" })
  @ApiOkResponse({ schema: TASK_PROGRESS })
  progress(@Param('id') id: string) {
    return this.bus.request(Subjects.compound.progress, { task_id: taskId(id) });
  }

  @Get(CompoundRoutes.recent)
  @ApiOperation({ summary: "The caller's compound tasks, newest first" })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, default: RECENT_TASKS_DEFAULT },
    description: 'Above 100 is clamped to 100',
  })
  @ApiOkResponse({ schema: TASK_SUMMARIES })
  async recent(@Query() query: RecentTasksQuery) {
    const limit = Math.min(query.limit ?? RECENT_TASKS_DEFAULT, RECENT_TASKS_MAX);
    return (await this.bus.request(Subjects.compound.recent, { limit })).tasks;
  }

  @Post(CompoundRoutes.cancel)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a task: running subtasks are cancelled (their model calls aborted), pending ones marked cancelled (409 when it already ended)',
  })
  @ApiOkResponse({ schema: CANCEL_REPLY })
  cancel(@Param('id') id: string) {
    return this.bus.request(Subjects.compound.cancel, { task_id: taskId(id) });
  }

  @Get(CompoundRoutes.stream)
  @StreamRoute()
  @ApiOperation({
    summary: "SSE of the task's log: `task.plan`, then `task.subtask` as each subtask starts and ends (with its result), then the final `job.status`",
    description: 'The job stream machinery: resumable by Last-Event-ID, 204 when the task ended and nothing follows.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  async streamTask(@Param('id') id: string, @Headers('last-event-id') lastEventId: string | undefined, @Req() req: Request, @Res() res: Response) {
    const task = taskId(id);
    const after = parseEventId(lastEventId) ?? 0;
    if (Number.isNaN(after)) throw new UnprocessableEntityException({ detail: 'Last-Event-ID must be a non-negative integer' });
    try {
      // Owner-only like the other routes: progress answers 404 for a task that is not the caller's (or not a compound task).
      await this.bus.request(Subjects.compound.progress, { task_id: task });
      await this.stream.serve(task, after, req, res);
    } catch (err) {
      if (!res.headersSent && err instanceof RemoteError && err.code === ErrorCode.NOT_FOUND) throw notFound('Task not found');
      throw err;
    }
  }
}
