export * from './data-source.js';
export * from './run-migrations.js';
