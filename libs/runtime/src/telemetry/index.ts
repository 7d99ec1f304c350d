export * from './state';
export * from './propagation';
export * from './metrics';
export * from './queues';
