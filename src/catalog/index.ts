/** Cached task outputs (Flyte's datacatalog model): the engine's `TaskCatalog` over Redis, gRPC or memory. */
export { CatalogClient, type CatalogClientOptions, type CatalogFrontEnd, type LookupResult } from './catalog.js';
export { CatalogError, type CatalogErrorCode } from './errors.js';
export { nativeCatalogFrontEnd } from './native.js';
export { flyteCatalogFrontEnd } from './flyte.js';
export { MemoryCatalogBackend } from './memory.js';
export { RedisCatalogBackend, type RedisCatalogOptions } from './redis.js';
export { DataCatalogBackend, type DataCatalogOptions } from './datacatalog.js';
export { openCatalogBackend, describeCatalog, type CatalogSettings } from './open.js';
export type { CatalogBackend, CatalogKey, DatasetId, StoredArtifact, ReservationState } from './model.js';
