export * from './enrollment-token.js';
export * from './lifecycle.js';
export * from './scope.js';
