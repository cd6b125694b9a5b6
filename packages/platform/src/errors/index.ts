export * from './error-reason.js';
export * from './mosaic-error.js';
export * from './to-connect-error.js';
