export * from './principal';
export * from './errors';
export * from './events';
export * from './jobs';
export * from './subjects';
export * from './knowledge';
export * from './coordinator';
