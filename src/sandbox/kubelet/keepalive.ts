/** Moved to `src/controller/keepalive.ts` (one pool for every API client of a process); re-exported here. */
export { keepAliveConfiguration, type KeepAliveConfiguration } from '../../controller/keepalive.js';
