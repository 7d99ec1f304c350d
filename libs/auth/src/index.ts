export * from './validator';
export * from './principal-policy';
export * from './jwt.validator';
export * from './api-keys';
export * from './validator-modules';
export * from './auth.guard';
export * from './auth-options';
export * from './validator-registry';
