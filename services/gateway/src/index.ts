export { listVisibleStatement } from './data/item-store.js';
export { gatewayModule } from './module.js';
export { resealPeerKeys } from './peers/reseal-peer-keys.js';
