export * from './run-target.js';
export * from './service-modules.js';
