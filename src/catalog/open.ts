/**
 * Which catalog a process uses, from its settings: Flyte's datacatalog service when an endpoint
 * is given (`--catalog-endpoint`), else the embedded one on the fleet's Redis.
 */
import type { RedisConfig } from '../redis/index.js';
import { DataCatalogBackend, type DataCatalogOptions } from './datacatalog.js';
import type { CatalogBackend } from './model.js';
import { RedisCatalogBackend } from './redis.js';

export interface CatalogSettings {
  /** Flyte's datacatalog service; without it the embedded catalog on Redis serves. */
  readonly endpoint?: DataCatalogOptions;
  /** Entries older than this are misses (Flyte's `max-cache-age`). @defaultValue 0 = never too old */
  readonly maxCacheAgeMs?: number;
  /** How often a reservation holder extends it; the reservation lasts three of these. @defaultValue 10000 */
  readonly heartbeatMs?: number;
}

export function openCatalogBackend(settings: CatalogSettings, redis: RedisConfig): CatalogBackend {
  return settings.endpoint ? new DataCatalogBackend(settings.endpoint) : new RedisCatalogBackend({ redis });
}

/** Log-safe: where the catalog lives. */
export function describeCatalog(settings: CatalogSettings): string {
  return settings.endpoint ? `datacatalog ${settings.endpoint.address}` : 'embedded (Redis)';
}
