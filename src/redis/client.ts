/**
 * ioredis clients for a {@link RedisConfig}: a `Redis` for one server or a Sentinel group (ioredis
 * asks the sentinels for the master and asks again after every disconnection, so a failover is a
 * reconnect), a `Cluster` for Redis Cluster (slots discovered from the seed nodes, `MOVED`/`ASK`
 * followed, the slot map refreshed when a replica is promoted).
 *
 * BullMQ takes either plain options (it creates and closes its own clients: single and Sentinel)
 * or a client instance (Cluster: BullMQ cannot build one from options), which it then treats as
 * shared and never closes: whoever asked {@link bullmqConnection} disconnects it.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from './config.js';

/** A client of any mode; both kinds run the same commands and Lua scripts. */
export type RedisClient = Redis | Cluster;

/** Per-use tuning of a client. */
export interface ClientTuning {
  /**
   * Attempts per command while the connection is down; `null` waits for ever (BullMQ workers need
   * it). @defaultValue 1
   */
  readonly maxRetriesPerRequest?: number | null;
  /** Queue commands issued while disconnected (otherwise they fail at once). @defaultValue true */
  readonly enableOfflineQueue?: boolean;
  /** Name shown by `CLIENT LIST`. @defaultValue none */
  readonly connectionName?: string;
}

/**
 * Server errors after which the connection is re-made and the command re-sent: a demoted master
 * (Sentinel failover with the client still on the old master) answers `READONLY`; a cluster or
 * master still loading its data answers `LOADING`.
 */
function reconnectOnError(error: Error): 2 | false {
  return /^(READONLY|LOADING|MASTERDOWN)/.test(error.message) ? 2 : false;
}

/** Options of one data-node connection (single server, Sentinel master, or each cluster node). */
function nodeOptions(config: RedisConfig, tuning: ClientTuning): RedisOptions {
  return {
    maxRetriesPerRequest: tuning.maxRetriesPerRequest === undefined ? 1 : tuning.maxRetriesPerRequest,
    enableOfflineQueue: tuning.enableOfflineQueue ?? true,
    reconnectOnError,
    ...(tuning.connectionName ? { connectionName: tuning.connectionName } : {}),
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.tls
      ? {
          tls: {
            ...(config.tls.ca ? { ca: config.tls.ca } : {}),
            ...(config.tls.servername ? { servername: config.tls.servername } : {}),
          },
        }
      : {}),
  };
}

/** Plain ioredis options for single and Sentinel mode (Cluster has no such form). */
export function redisOptions(config: RedisConfig, tuning: ClientTuning = {}): RedisOptions {
  const base = nodeOptions(config, tuning);
  if (config.db !== undefined) base.db = config.db;
  if (config.mode === 'sentinel') {
    return {
      ...base,
      sentinels: config.nodes.map((n) => ({ host: n.host, port: n.port })),
      name: config.masterName ?? 'mymaster',
      // No failover detector. ioredis's (5.x) subscribes to +switch-master and then disconnects
      // the connector; when that lands while a reconnect is asking a sentinel for the master (the
      // old master was SIGKILLed, so the client is reconnecting just then), the connect fails
      // with "Connection is closed." and the client ends for good: a shard's enqueues then fail
      // for ever. Without it nothing is missed: a dead master drops the connection (the reconnect
      // asks the sentinels again), and a demoted one has its clients killed by the sentinels
      // (CLIENT KILL with the REPLICAOF) or answers READONLY (reconnectOnError).
      failoverDetector: false,
      sentinelRetryStrategy: (times: number) => Math.min(100 * times, 2000),
      ...(config.sentinelUsername ? { sentinelUsername: config.sentinelUsername } : {}),
      ...(config.sentinelPassword ? { sentinelPassword: config.sentinelPassword } : {}),
      ...(base.tls ? { enableTLSForSentinelMode: true, sentinelTLS: base.tls } : {}),
    };
  }
  const node = config.nodes[0];
  return { ...base, host: node?.host ?? '127.0.0.1', port: node?.port ?? 6379 };
}

/** Cluster options: per-node options plus the cluster client's own. */
function clusterOptions(config: RedisConfig, tuning: ClientTuning): ClusterOptions {
  return {
    redisOptions: nodeOptions(config, tuning),
    enableOfflineQueue: tuning.enableOfflineQueue ?? true,
    // A promoted replica takes a few seconds; keep re-reading the slot map meanwhile.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2000,
    clusterRetryStrategy: (times: number) => Math.min(100 * times, 2000),
    ...(config.tls
      ? {
          dnsLookup: (address: string, callback: (error: Error | null, address: string) => void) =>
            callback(null, address),
        }
      : {}),
  };
}

/** A new client for `config` (connects at once). The caller disconnects it. */
export function createRedisClient(config: RedisConfig, tuning: ClientTuning = {}): RedisClient {
  if (config.mode === 'cluster') {
    return new Cluster(
      config.nodes.map((n) => ({ host: n.host, port: n.port })),
      clusterOptions(config, tuning),
    );
  }
  return new Redis(redisOptions(config, tuning));
}

/**
 * What to give BullMQ as `connection`: options in single and Sentinel mode (BullMQ owns the
 * clients), a new `Cluster` in Cluster mode (BullMQ treats it as shared: the caller disconnects it
 * after closing the Queue or Worker; `owned` says which).
 */
export function bullmqConnection(
  config: RedisConfig,
  tuning: ClientTuning = {},
): { connection: RedisOptions | Cluster; owned?: Cluster } {
  if (config.mode === 'cluster') {
    const cluster = new Cluster(
      config.nodes.map((n) => ({ host: n.host, port: n.port })),
      clusterOptions(config, tuning),
    );
    return { connection: cluster, owned: cluster };
  }
  return { connection: redisOptions(config, tuning) };
}
