import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface HttpServerLimits {
  /** Request line and headers must arrive within this (Node's `headersTimeout`): 408, connection closed. */
  headersTimeoutMs: number;
  /** A body that sends no byte for this long: 408, connection closed. */
  bodyIdleTimeoutMs: number;
  /** The whole body must arrive within this: 408, connection closed. */
  requestTimeoutMs: number;
  /** The same for multipart uploads, which may be hundreds of MiB. */
  uploadTimeoutMs: number;
}

/** How often Node checks the headers timeout (its default, 30 s, would let a 5 s timeout take 35 s), and this class the bodies. */
const CHECK_INTERVAL_MS = 1000;

const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/** A request whose body is still coming. */
interface PendingBody {
  req: IncomingMessage;
  res: ServerResponse;
  deadline: number;
  limitMs: number;
  bytesRead: number;
  progressAt: number;
}

/**
 * The gateway's HTTP server against slow or broken clients, and its graceful stop.
 *
 * Node bounds the time to receive the request head (`headersTimeout`, checked every second here). It
 * also has a `requestTimeout` for the whole request, but one for every route, so it is only a
 * backstop here and the bodies are bounded per request: a body that receives no byte for
 * `bodyIdleTimeoutMs`, or is not complete after `requestTimeoutMs` (`uploadTimeoutMs` for multipart
 * uploads), is answered 408 and its connection closed. So a client that never finishes its request
 * holds a socket for seconds, not minutes, and cannot hold up a stop. Progress is read from the
 * socket's byte count once a second for all pending bodies, so nothing depends on who reads the body.
 */
export class HttpServerControl {
  private readonly inFlight = new Set<ServerResponse>();
  private readonly bodies = new Set<PendingBody>();
  private checker?: NodeJS.Timeout;
  private draining = false;
  private onIdle?: () => void;

  constructor(
    private readonly server: Server,
    private readonly limits: HttpServerLimits,
  ) {
    server.headersTimeout = limits.headersTimeoutMs;
    server.requestTimeout = Math.max(limits.requestTimeoutMs, limits.uploadTimeoutMs) + 2 * CHECK_INTERVAL_MS;
    // Read when the server starts listening (an option of http.createServer, which Nest calls for us).
    (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = CHECK_INTERVAL_MS;
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
  }

  /** Requests being answered (streams included). */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight.add(res);
    res.once('close', () => {
      this.inFlight.delete(res);
      if (this.inFlight.size === 0) this.onIdle?.();
    });
    if (this.draining) res.setHeader('Connection', 'close');
    if (hasBody(req) && !req.complete) this.watchBody(req, res);
  }

  private watchBody(req: IncomingMessage, res: ServerResponse): void {
    const now = Date.now();
    const limitMs = /^multipart\//i.test(req.headers['content-type'] ?? '') ? this.limits.uploadTimeoutMs : this.limits.requestTimeoutMs;
    const body: PendingBody = { req, res, deadline: now + limitMs, limitMs, bytesRead: req.socket.bytesRead, progressAt: now };
    this.bodies.add(body);
    res.once('close', () => this.bodies.delete(body));
    if (!this.checker) {
      this.checker = setInterval(() => this.checkBodies(), CHECK_INTERVAL_MS);
      this.checker.unref();
    }
  }

  /** Once a second: forgets complete bodies, cuts stalled or overdue ones. */
  checkBodies(now = Date.now()): void {
    for (const b of this.bodies) {
      if (b.req.complete) {
        this.bodies.delete(b);
        continue;
      }
      const read = b.req.socket?.bytesRead ?? b.bytesRead;
      if (read !== b.bytesRead) {
        b.bytesRead = read;
        b.progressAt = now;
      }
      if (now - b.progressAt >= this.limits.bodyIdleTimeoutMs)
        this.refuse(b, `Request body stalled: nothing received for ${this.limits.bodyIdleTimeoutMs / 1000} s`);
      else if (now >= b.deadline) this.refuse(b, `Request body not received within ${b.limitMs / 1000} s`);
    }
    if (this.bodies.size === 0) {
      clearInterval(this.checker);
      this.checker = undefined;
    }
  }

  /** 408 if nothing was answered yet; either way the connection closes (the rest of the body will never be read). */
  private refuse(b: PendingBody, detail: string): void {
    this.bodies.delete(b);
    if (b.res.headersSent) {
      b.req.socket?.destroy();
      return;
    }
    b.res.writeHead(408, { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close' });
    b.res.end(JSON.stringify({ detail }));
  }

  /**
   * Graceful stop: no new connections, idle keep-alive connections closed, every response from now on
   * says `Connection: close`; `endStreams` ends the long-lived responses (their clients reconnect to
   * another replica); the other requests get up to `graceMs` to finish; then every connection is
   * closed, including those still sending a request head.
   */
  async drain(graceMs: number, endStreams: () => void): Promise<void> {
    this.draining = true;
    this.server.close(); // stops accepting; Node closes the idle keep-alive connections
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    endStreams();
    if (this.inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.onIdle = undefined;
    }
    this.server.closeAllConnections();
  }
}
