export { caModule } from './module.js';
export { AuthorityStore } from './store/authority-store.js';
