import type { ServiceList, ServiceRunAccepted } from './replies';
import type { SubmitServiceRunCommand } from './requests';

/**
 * The service catalog's subjects, answered by job-runner's queue group (the process that knows the
 * agent registry, and so can refuse to start on a service naming an unknown agent type). A service run
 * is a job: everything after the submit goes through the job engine's own subjects.
 */
export const ServicesSubjects = {
  list: 'services.list',
  submit: 'services.submit',
} as const;

export interface ServicesRpc {
  'services.list': { request: Record<string, never>; reply: ServiceList };
  'services.submit': { request: SubmitServiceRunCommand; reply: ServiceRunAccepted };
}
