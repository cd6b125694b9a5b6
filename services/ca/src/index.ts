export { caModule } from './module.js';
