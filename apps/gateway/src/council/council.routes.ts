/**
 * The AI council API's paths (seed 004, base `/api/v1`), in one place: the controller routes by them
 * and the error envelope is chosen by them (`http/error-shapes.ts`): every path under `/api/v1`.
 */
export const COUNCIL_API = 'api/v1';

export const CouncilRoutes = {
  requests: 'requests',
  request: 'requests/:requestId',
  stream: 'requests/:requestId/stream',
  streamTicket: 'requests/:requestId/stream-ticket',
} as const;

export const isCouncilApiPath = (path: string): boolean => /^\/api\/v1(\/|$)/i.test(path);

export function councilStreamUrl(requestId: string): string {
  return `/${COUNCIL_API}/${CouncilRoutes.stream.replace(':requestId', encodeURIComponent(requestId))}`;
}
