export * from './bullmq-adapters.js';
export * from './generation-keys.js';
export * from './job-queue.js';
export * from './local-adapters.js';
export * from './token-bucket.js';
