export { grantsModule } from './module.js';
