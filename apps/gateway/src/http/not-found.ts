import { NotFoundException } from '@nestjs/common';
import { AGENT_ID_PATTERN, COLLECTION_NAME_PATTERN, JOB_ID_PATTERN } from '@platform/contracts';

/** The gateway's one way to say 404: `{"detail": …}`, the body the owning services' own 404s have. */
export function notFound(detail: string): NotFoundException {
  return new NotFoundException({ detail });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A checker for one kind of id in a path. An id that cannot exist is answered 404 here with the text
 * the owning service gives an unknown one, so a malformed id and a missing one look alike — without a
 * NATS round trip, and odd ids never reach a subject. Called in the handler (not as a param pipe), so a
 * body that fails validation is still reported first.
 */
function pathId(pattern: RegExp, detail: (raw: string) => string, normalize: (id: string) => string = (id) => id): (raw: string) => string {
  return (raw) => {
    if (!pattern.test(raw)) throw notFound(detail(raw));
    return normalize(raw);
  };
}

const lower = (id: string) => id.toLowerCase();

export const jobId = pathId(JOB_ID_PATTERN, (id) => `Job '${id}' not found`);
export const agentId = pathId(AGENT_ID_PATTERN, () => 'Agent not found');
export const taskId = pathId(UUID, () => 'Task not found', lower);
export const documentId = pathId(UUID, (id) => `Document '${id.slice(0, 100)}' not found`, lower);
export const collectionName = pathId(COLLECTION_NAME_PATTERN, (name) => `Collection '${name.slice(0, 100)}' not found`);
