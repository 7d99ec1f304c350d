import type { CancelJobReply } from '../jobs/replies';
import type { CouncilAccepted, CouncilList, CouncilRequestView } from './replies';
import type { CouncilListQuery, CouncilRef, SubmitCouncilCommand } from './requests';

/**
 * The AI council's subjects, answered by job-runner's queue group. A council request is a job of agent
 * type `council` whose id is the request id; its stream is the job engine's (`jobs.events`, `jobs.live`).
 */
export const CouncilSubjects = {
  submit: 'council.submit',
  get: 'council.get',
  list: 'council.list',
  cancel: 'council.cancel',
} as const;

export interface CouncilRpc {
  'council.submit': { request: SubmitCouncilCommand; reply: CouncilAccepted };
  'council.get': { request: CouncilRef; reply: CouncilRequestView };
  'council.list': { request: CouncilListQuery; reply: CouncilList };
  'council.cancel': { request: CouncilRef; reply: CancelJobReply };
}
