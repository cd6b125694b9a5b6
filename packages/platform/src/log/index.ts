export * from './error-for-log.js';
export * from './logger.js';
export * from './redact-url.js';
