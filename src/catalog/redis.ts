/**
 * The embedded catalog: datacatalog's semantics on the fleet's own Redis, so a fleet (and the
 * sandbox) caches with nothing else to run.
 *
 * Keys, per (dataset, tag), under one hash tag so a Redis Cluster keeps each pair in one slot:
 *   `<prefix>:{<key hash>}:artifact`     JSON {id, dataset, tag, data, createdAt, source}; no TTL
 *   `<prefix>:{<key hash>}:reservation`  the owner id, with a TTL of heartbeat × 3
 * A reservation's expiry is Redis's own TTL, so no clocks of two machines are ever compared.
 */
import { randomUUID } from 'node:crypto';
import {
  createRedisClient,
  describeRedis,
  parseRedisConfig,
  type RedisClient,
  type RedisConfig,
} from '../redis/index.js';
import { CatalogError } from './errors.js';
import { stableHash } from './hash.js';
import {
  RESERVATION_GRACE_MULTIPLIER,
  type ArtifactSource,
  type CatalogBackend,
  type CatalogKey,
  type LiteralMapJson,
  type ReservationState,
  type StoredArtifact,
} from './model.js';

/**
 * KEYS[1] the reservation; ARGV[1] owner, ARGV[2] TTL in ms.
 * Returns {holder, remaining TTL ms}: the caller holds it when holder = owner (taken or extended).
 */
const GET_OR_EXTEND = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return {holder, redis.call('PTTL', KEYS[1])}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {ARGV[1], tonumber(ARGV[2])}
`;

/** KEYS[1] the reservation; ARGV[1] owner. Deletes it only when the owner holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

export interface RedisCatalogOptions {
  /** The Redis URL (any form of src/redis/config.ts). Ignored when `redis` is given. */
  readonly url?: string;
  readonly redis?: RedisConfig;
  /** @defaultValue `flotilla:catalog` */
  readonly prefix?: string;
  /** @defaultValue Date.now (only for the `createdAt` and `expiresAt` it reports) */
  readonly clock?: () => number;
}

export class RedisCatalogBackend implements CatalogBackend {
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly clock: () => number;
  readonly description: string;

  constructor(options: RedisCatalogOptions) {
    const config = options.redis ?? parseRedisConfig(options.url ?? '');
    this.prefix = (options.prefix ?? 'flotilla:catalog').replace(/:$/, '');
    this.clock = options.clock ?? Date.now;
    // A catalog that is down holds cacheable nodes back (the round comes again): fail fast.
    this.redis = createRedisClient(config, { maxRetriesPerRequest: 1, connectionName: 'flotilla-catalog' });
    this.redis.on('error', () => undefined);
    this.description = `catalog on ${describeRedis(config)}`;
  }

  keys(key: CatalogKey): { artifact: string; reservation: string } {
    const tag = `{${stableHash({ ...key.dataset, tag: key.tag }).slice(0, 24)}}`;
    return { artifact: `${this.prefix}:${tag}:artifact`, reservation: `${this.prefix}:${tag}:reservation` };
  }

  async getArtifact(key: CatalogKey): Promise<StoredArtifact | undefined> {
    const text = await this.call('GET', () => this.redis.get(this.keys(key).artifact));
    if (text === null) return undefined;
    try {
      const stored = JSON.parse(text) as { id: string; data: LiteralMapJson; createdAt?: string };
      return { id: stored.id, data: stored.data, ...(stored.createdAt ? { createdAt: stored.createdAt } : {}) };
    } catch (cause) {
      throw new CatalogError('BadEntry', `catalog entry ${this.keys(key).artifact} is not JSON`, { cause });
    }
  }

  async putArtifact(
    key: CatalogKey,
    data: LiteralMapJson,
    options: { readonly overwrite: boolean; readonly source: ArtifactSource },
  ): Promise<void> {
    const text = JSON.stringify({
      id: randomUUID(),
      dataset: key.dataset,
      tag: key.tag,
      data,
      createdAt: new Date(this.clock()).toISOString(),
      source: options.source,
    });
    const target = this.keys(key).artifact;
    // Without overwrite the first entry stays (AddTag's AlreadyExists is success).
    await this.call('SET', () =>
      options.overwrite ? this.redis.set(target, text) : this.redis.set(target, text, 'NX'),
    );
  }

  async getOrExtendReservation(key: CatalogKey, owner: string, heartbeatMs: number): Promise<ReservationState> {
    const ttl = Math.max(1, Math.round(heartbeatMs * RESERVATION_GRACE_MULTIPLIER));
    const reply = await this.call('EVAL', () =>
      this.redis.eval(GET_OR_EXTEND, 1, this.keys(key).reservation, owner, ttl),
    );
    const [holder, remaining] = Array.isArray(reply) ? reply : [];
    if (typeof holder !== 'string')
      throw new CatalogError('Unavailable', `unexpected reservation reply ${JSON.stringify(reply)}`);
    const left = typeof remaining === 'number' && remaining > 0 ? remaining : ttl;
    return { owner: holder, expiresAt: new Date(this.clock() + left).toISOString() };
  }

  async releaseReservation(key: CatalogKey, owner: string): Promise<void> {
    await this.call('EVAL', () => this.redis.eval(RELEASE, 1, this.keys(key).reservation, owner));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      throw new CatalogError(
        'Unavailable',
        `${this.description}: ${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
  }
}
