import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Post, RequestMethod } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { StreamRoute, streamRoutesIn } from './stream-route';

@StreamRoute()
@Controller('/whole/')
class AllStreams {
  @Get(['a', 'b/:x'])
  one() {}

  @Post()
  two() {}

  helper() {}
}

@Module({ controllers: [AllStreams] })
class AllStreamsModule {}

describe('streamRoutesIn', () => {
  it('finds the job streams by their decorator (the request-log exclusions)', () => {
    expect(streamRoutesIn([JobsModule])).toEqual([
      { method: RequestMethod.GET, path: 'v1/jobs/async/job/:id/stream' },
      { method: RequestMethod.GET, path: 'v1/jobs/async/job/:id/stream/:last_event_id' },
    ]);
  });

  it('takes a controller-wide decorator, several paths and extra controllers; skips methods that are not routes', () => {
    expect(streamRoutesIn([AllStreamsModule])).toEqual([
      { method: RequestMethod.GET, path: 'whole/a' },
      { method: RequestMethod.GET, path: 'whole/b/:x' },
      { method: RequestMethod.POST, path: 'whole' },
    ]);
    expect(streamRoutesIn([], [AllStreams])).toHaveLength(3);
  });
});
