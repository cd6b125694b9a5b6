export { gatewayModule } from './module.js';
export { resealPeerKeys } from './peers/reseal-peer-keys.js';
