/**
 * The agentUniverse web API's paths (at the root, as the original server serves them), in one place:
 * the controller routes by them and the error envelope is chosen by them (`http/error-shapes.ts`).
 */
export const ServiceRoutes = {
  agentList: 'agent/list',
  run: 'service_run',
  stream: 'service_run_stream',
  async: 'service_run_async',
  result: 'service_run_result',
  cancel: 'service_run_cancel',
} as const;

/** Whether a request path is one of the service API's (Express matches paths case-insensitively, with an optional trailing slash). */
export const isServiceApiPath = (path: string): boolean => /^\/(service_run(_stream|_async|_result|_cancel)?|agent\/list)\/?$/i.test(path);
