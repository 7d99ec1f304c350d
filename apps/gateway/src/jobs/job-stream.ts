import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleInit, Optional, ServiceUnavailableException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isTerminal, Subjects, type EventsPage, type JobEvent, type JobStatus } from '@platform/contracts';
import { Bus, Metrics, RequestContextStore, type RequestContext } from '@platform/runtime';
import { routeOf } from '../http/http-metrics.middleware';
import { GatewayConfig } from '../config';
import { LiveEvents, LiveEventsUnavailable } from './live-events';
import { JOB_EVENTS_FORMAT, KEEPALIVE_FRAME, retryFrame, type SseFrame, SseOutput, type StreamFormat } from './sse';

const PAGE = 2000;

const isTerminalStatusEvent = (e: JobEvent): boolean => e.type === 'job.status' && typeof e.data.status === 'string' && isTerminal(e.data.status as JobStatus);

/** One client's stream: what it has been sent, and the live events waiting their turn. */
class StreamSession {
  lastSent: number;
  finished = false;
  closed = false;
  live = false;
  /** The job ended and the stream is ending (the format's closing frame may still be on its way). */
  ending = false;
  terminal?: JobEvent;
  lastActivity = Date.now();
  private inbox: JobEvent[] = [];
  private pumping = false;
  /** Set once the response headers are out. */
  out!: SseOutput;
  stopListening?: () => void;

  /** The route template the stream was opened on (the `surface` label of gateway_sse_streams_open). */
  surface = 'unknown';

  constructor(
    readonly jobId: string,
    /** The caller's context: log reads on behalf of this stream are made as this caller, whatever triggers them. */
    readonly ctx: RequestContext,
    after: number,
    readonly res: Response,
    private readonly owner: JobStream,
    readonly format: StreamFormat,
  ) {
    this.lastSent = after;
  }

  /** The client went away: stop listening, forget the session. */
  onClientGone(): void {
    this.stopListening?.();
    this.owner.forget(this);
    this.closed = true;
  }

  /** Writes an event unless the client already has it. */
  send(e: JobEvent): void {
    if (this.closed || this.finished || e.seq <= this.lastSent) return;
    const frame = this.format.frame(e);
    if (frame) this.out.write(frame);
    this.lastSent = e.seq;
    this.lastActivity = Date.now();
    if (isTerminalStatusEvent(e)) {
      this.finished = true;
      this.terminal = e;
    }
  }

  /** Live events arrive here (possibly out of order across publishers) and are sent strictly in seq order. */
  deliver(e: JobEvent): void {
    if (this.closed || e.seq <= this.lastSent) return;
    if (this.live && !this.pumping && this.inbox.length === 0 && e.seq === this.lastSent + 1) {
      // The common case — the next event, nothing pending — is written synchronously: no promise per client per event.
      this.send(e);
      if (this.finished) this.owner.finish(this);
      else if (this.owner.overBuffer(this)) this.owner.close(this, true);
      return;
    }
    this.inbox.push(e);
    const n = this.inbox.length;
    if (n > 1 && this.inbox[n - 2].seq > e.seq) this.inbox.sort((a, b) => a.seq - b.seq);
    if (this.live) void this.pump();
  }

  async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.inbox.length > 0 && !this.closed && !this.finished) {
        const next = this.inbox.shift()!;
        if (next.seq <= this.lastSent) continue;
        // A gap means an event is durable but its live copy has not arrived (or never will): read it from the log.
        if (next.seq > this.lastSent + 1) await this.owner.catchUp(this, next.seq - 1);
        this.send(next);
        if (this.owner.overBuffer(this)) return this.owner.close(this, true);
      }
      if (this.finished) this.owner.finish(this);
    } catch (err) {
      this.owner.fail(this, err);
    } finally {
      this.pumping = false;
    }
  }
}

/**
 * Server-Sent Events for a job: subscribe live first, replay the log after the resume point, then
 * one `stream.mode: live` frame if the job is still running, then live events — deduplicated by seq
 * and with gaps refilled from the log, so nothing is missing or repeated across the handoff, across
 * reconnects, or across gateway replicas.
 */
@Injectable()
export class JobStream implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobStream.name);
  private readonly sessions = new Set<StreamSession>();
  private keepAlive?: NodeJS.Timeout;
  private stopWatchingReconnects?: () => void;
  private stopping = false;
  /** The `retry:` hint is the same for every stream: built once. */
  private readonly retry: SseFrame;

  constructor(
    private readonly bus: Bus,
    private readonly liveEvents: LiveEvents,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Optional() @Inject(Metrics) metrics?: Metrics,
  ) {
    this.retry = retryFrame(config.SSE_RETRY_MS);
    const sessions = this.sessions;
    // Counted at scrape time from the open sessions: nothing to keep in step on the stream path.
    metrics?.gauge({
      name: 'gateway_sse_streams_open',
      help: 'Server-Sent-Event streams open on this gateway, by surface (the route template they were opened on)',
      labelNames: ['surface'],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const s of sessions) counts.set(s.surface, (counts.get(s.surface) ?? 0) + 1);
        for (const [surface, n] of counts) this.set({ surface }, n);
      },
    });
  }

  onModuleInit(): void {
    // One timer for all streams: a comment keeps proxies from timing out, and an idle live stream
    // re-reads the log once in case a live message was lost (NATS is at-most-once).
    this.keepAlive = setInterval(() => this.tick(), this.config.SSE_KEEPALIVE_MS);
    this.keepAlive.unref();
    // Live events published while NATS was away are lost to us: every live stream re-reads the log now.
    this.stopWatchingReconnects = this.bus.onReconnect(() => this.resyncAll());
  }

  private resyncAll(): void {
    for (const s of this.sessions) {
      if (s.closed || !s.live) continue;
      s.lastActivity = Date.now();
      this.resync(s).catch((err: unknown) => this.fail(s, err));
    }
  }

  /**
   * The gateway is stopping: every open stream ends now, and a stream that opens from now on ends
   * right after its `retry:` frame. Their clients reconnect (to another replica) with Last-Event-ID
   * and lose nothing. An ended response completes cleanly; one a slow reader has not taken yet is cut.
   */
  endAll(): void {
    this.stopping = true;
    for (const s of this.sessions) this.close(s, s.out.buffered > 0);
  }

  /** Whatever is left when the providers stop (without a drain, e.g. in tests). */
  beforeApplicationShutdown(): void {
    clearInterval(this.keepAlive);
    this.stopWatchingReconnects?.();
    this.stopping = true;
    for (const s of this.sessions) this.close(s, true);
  }

  get openStreams(): number {
    return this.sessions.size;
  }

  /**
   * Serves one stream request in `format` (the job API's by default). Errors before the first byte
   * propagate (404 etc.); after it, the stream just ends.
   */
  async serve(jobId: string, after: number, req: Request, res: Response, format: StreamFormat = JOB_EVENTS_FORMAT): Promise<void> {
    const ctx = RequestContextStore.current() ?? { correlationId: RequestContextStore.correlationId() };
    // Listening starts before the first page is read; live events arriving meanwhile wait in the
    // session's inbox (it is not live yet), so none is lost in the handoff.
    const s = new StreamSession(jobId, ctx, after, res, this, format);
    s.surface = routeOf(req);
    let stopListening: () => void;
    try {
      stopListening = await this.liveEvents.listen(jobId, s);
    } catch (err) {
      // NATS is down: say so at once (503 + Retry-After) rather than hold the request open.
      if (err instanceof LiveEventsUnavailable)
        throw new ServiceUnavailableException({ detail: 'Live job events are unavailable; retry shortly' }, { cause: err });
      throw err;
    }
    let handedOff = false;
    try {
      const first = await this.page(ctx, jobId, after);
      if (first.events.length === 0 && isTerminal(first.status)) {
        res.status(204).end(); // finished and nothing left: EventSource stops reconnecting
        return;
      }
      // No Connection header: Node sends keep-alive, or close when the client asked for it or the gateway is stopping.
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        'X-Accel-Buffering': 'no',
        'Content-Encoding': 'identity',
      });
      if (req.method === 'HEAD') {
        res.end(); // the headers of the stream, no body
        return;
      }
      res.flushHeaders();
      s.out = new SseOutput(res);
      s.out.write(this.retry);
      if (this.stopping) {
        res.end(); // the client reconnects after `retry:`, to a replica that is not stopping
        return;
      }
      this.sessions.add(s);
      handedOff = true;
      s.stopListening = stopListening;
      req.on('close', () => s.onClientGone());

      await this.replay(s, first);
      if (s.closed) return;
      if (s.finished) return this.finish(s);
      if (format.liveMode) s.out.write(format.liveMode);
      s.live = true;
      await s.pump();
    } catch (err) {
      if (!handedOff) throw err;
      this.fail(s, err);
    } finally {
      if (!handedOff) stopListening();
    }
  }

  /** Sends everything in the log after the session's position, page by page, honouring backpressure. */
  private async replay(s: StreamSession, first: EventsPage): Promise<void> {
    let page: EventsPage | null = first;
    while (page && !s.closed) {
      for (const e of page.events) s.send(e);
      if (s.finished || page.events.length === 0 || s.lastSent >= page.last_seq) return;
      await s.out.drained();
      page = await this.page(s.ctx, s.jobId, s.lastSent);
    }
  }

  /** Fills a gap up to `upTo` from the log. */
  async catchUp(s: StreamSession, upTo: number): Promise<void> {
    while (!s.closed && !s.finished && s.lastSent < upTo) {
      const page = await this.page(s.ctx, s.jobId, s.lastSent, Math.min(PAGE, upTo - s.lastSent));
      if (page.events.length === 0) return;
      for (const e of page.events) if (e.seq <= upTo) s.send(e);
    }
  }

  /** The job ended: the format's closing frame, if it has one, then the end of the response. */
  finish(s: StreamSession): void {
    if (s.ending) return;
    s.ending = true;
    const { format, terminal } = s;
    if (!format.ending || !terminal || s.closed) return this.close(s, false);
    RequestContextStore.run(s.ctx, () => format.ending!(terminal)).then(
      (frame) => {
        if (!s.closed && frame) s.out.write(frame);
        this.close(s, false);
      },
      (err: unknown) => this.fail(s, err),
    );
  }

  forget(s: StreamSession): void {
    this.sessions.delete(s);
  }

  overBuffer(s: StreamSession): boolean {
    return s.out.buffered > this.config.SSE_MAX_BUFFER_BYTES;
  }

  close(s: StreamSession, abrupt: boolean): void {
    if (s.closed) return;
    s.closed = true;
    this.sessions.delete(s);
    if (abrupt) s.res.destroy();
    else s.res.end();
  }

  fail(s: StreamSession, err: unknown): void {
    this.logger.warn(`stream ${s.jobId} ended: ${(err as Error)?.message ?? err}`);
    this.close(s, true); // the client reconnects with Last-Event-ID and loses nothing
  }

  private page(ctx: RequestContext, jobId: string, after: number, limit = PAGE): Promise<EventsPage> {
    return RequestContextStore.run(ctx, () => this.bus.request(Subjects.jobs.events, { job_id: jobId, after, limit }));
  }

  private tick(): void {
    const idleBefore = Date.now() - this.config.SSE_KEEPALIVE_MS;
    for (const s of this.sessions) {
      if (s.closed) continue;
      s.out.write(KEEPALIVE_FRAME);
      if (this.overBuffer(s)) {
        this.close(s, true);
        continue;
      }
      if (s.live && s.lastActivity < idleBefore) {
        s.lastActivity = Date.now();
        this.resync(s).catch((err: unknown) => this.fail(s, err));
      }
    }
  }

  private async resync(s: StreamSession): Promise<void> {
    const page = await this.page(s.ctx, s.jobId, s.lastSent);
    for (const e of page.events) s.deliver(e);
  }
}
