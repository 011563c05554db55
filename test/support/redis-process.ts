/** The Redis process helpers live in sandbox/redis (the sandbox starts clusters too). */
export { freePorts, pingPort, RedisProcess } from '../../sandbox/redis/process.js';
