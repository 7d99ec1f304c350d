/**
 * The compound task API's paths (seed 003, at the root as the seed serves them), in one place. `tasks/recent`
 * shares the `tasks/` prefix with the coordinator's `tasks/:task_id`: CompoundModule is listed before
 * CoordinatorModule in AppModule so that this literal path is routed first.
 */
export const CompoundRoutes = {
  submit: 'task/compound',
  progress: 'task/:id/progress',
  recent: 'tasks/recent',
  stream: 'task/:id/stream',
  cancel: 'task/:id/cancel',
} as const;
