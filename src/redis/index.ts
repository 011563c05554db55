/**
 * The fleet's Redis connection: URL forms for one server, Redis Cluster and Sentinel, TLS and ACL
 * auth, and the ioredis clients built from them. Used by the shard queues and the event store.
 */
export {
  describeRedis,
  isRedisUrl,
  parseRedisConfig,
  type RedisConfig,
  type RedisMode,
  type RedisNode,
  type RedisSecrets,
  type RedisTls,
} from './config.js';
export { bullmqConnection, createRedisClient, redisOptions, type ClientTuning, type RedisClient } from './client.js';
export { RedisConfigError, type RedisConfigErrorCode } from './errors.js';
