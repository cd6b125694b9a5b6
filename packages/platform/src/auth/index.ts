export * from './admin-token.js';
export * from './ed25519-key.js';
export * from './internal-token.js';
