export * from './data-source.js';
export * from './query-rows.js';
export * from './run-migrations.js';
