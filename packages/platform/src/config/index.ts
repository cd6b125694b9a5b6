export * from './config-types.js';
export * from './listen-address.js';
export * from './load-config.js';
