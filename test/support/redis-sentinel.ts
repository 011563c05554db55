/** The Sentinel group launcher lives in sandbox/redis (`flotilla sandbox --redis-mode sentinel` uses it too). */
export { RedisSentinelGroup, type RedisSentinelOptions } from '../../sandbox/redis/sentinel.js';
