export * from './reseal-instance.js';
export * from './run-target.js';
export * from './service-modules.js';
