import { type ExecutionContext, RequestMethod, SetMetadata, type Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, type Reflector } from '@nestjs/core';

export const STREAM_ROUTE = 'gateway:stream-route';

export interface StreamRouteOptions {
  /**
   * The route parameter holding the job id a stream ticket must have been issued for: EventSource
   * clients, which cannot send `Authorization`, open the route with `?ticket=` (GET only).
   * `false`: tickets do not open this route. Default `'id'`.
   */
  ticketParam?: string | false;
}

/**
 * Marks a handler (or a whole controller) as a long-lived stream — the one way to declare one.
 * Everything the edge does for streams follows from this metadata, never from the URL, so a new
 * API's stream route opts in with this decorator alone and renaming a path cannot drop any of it:
 * - the response holds one of the caller's MAX_STREAMS_PER_CALLER slots while open (LimitsGuard);
 * - a stream ticket for the job in `ticketParam` authenticates a GET of it (StreamTickets);
 * - it is left out of per-request logging (`streamRoutesIn`, read by AppModule).
 */
export const StreamRoute = (options: StreamRouteOptions = {}) =>
  SetMetadata<string, Required<StreamRouteOptions>>(STREAM_ROUTE, { ticketParam: options.ticketParam ?? 'id' });

/** The stream options of the handler a request was routed to, or undefined when it is not a stream. */
export function streamRouteOf(reflector: Reflector, context: ExecutionContext): Required<StreamRouteOptions> | undefined {
  return reflector.getAllAndOverride<Required<StreamRouteOptions> | undefined>(STREAM_ROUTE, [context.getHandler(), context.getClass()]);
}

export interface RouteRef {
  method: RequestMethod;
  /** Full path without a leading slash, in Nest's route syntax (`v1/jobs/async/job/:id/stream`). */
  path: string;
}

const asList = (p: unknown): string[] => (Array.isArray(p) ? (p as string[]) : [typeof p === 'string' ? p : '']);
const joinPath = (...parts: string[]): string =>
  parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');

/**
 * Every `@StreamRoute()` handler of these modules' controllers (and of the extra controllers), with
 * its method and full path — for configuration that can only name paths, such as the request-log
 * exclusions, which are set before Nest builds its router.
 */
export function streamRoutesIn(modules: Type[], controllers: Type[] = []): RouteRef[] {
  const scanner = new MetadataScanner();
  const all = [...controllers, ...modules.flatMap((m) => (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, m) as Type[] | undefined) ?? [])];
  return all.flatMap((controller) => {
    const wholeClass = Reflect.getMetadata(STREAM_ROUTE, controller) !== undefined;
    const proto = controller.prototype as Record<string, unknown>;
    return scanner.getAllMethodNames(proto).flatMap((name) => {
      const handler = proto[name] as object;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined || (!wholeClass && Reflect.getMetadata(STREAM_ROUTE, handler) === undefined)) return [];
      return asList(Reflect.getMetadata(PATH_METADATA, controller)).flatMap((base) =>
        asList(Reflect.getMetadata(PATH_METADATA, handler)).map((path) => ({ method, path: joinPath(base, path) })),
      );
    });
  });
}
