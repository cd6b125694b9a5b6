export * from './reseal-column.js';
export * from './sealer.js';
