/** The Redis Cluster launcher lives in sandbox/redis (`flotilla sandbox --redis-mode cluster` uses it too). */
export {
  RedisCluster,
  type ClusterNodeInfo,
  type ClusterTls,
  type RedisClusterOptions,
} from '../../sandbox/redis/cluster.js';
