export * from './dependency-report.js';
export * from './detect-dependencies.js';
export * from './probe-postgres.js';
export * from './probe-redis.js';
