/**
 * A catalog backend in memory: `flotilla run` (one process, one execution at a time) and unit
 * tests. Same semantics as the embedded Redis one, on an injected clock.
 */
import { RESERVATION_GRACE_MULTIPLIER } from './model.js';
import type {
  ArtifactSource,
  CatalogBackend,
  CatalogKey,
  LiteralMapJson,
  ReservationState,
  StoredArtifact,
} from './model.js';
import { canonicalJson } from './hash.js';

export class MemoryCatalogBackend implements CatalogBackend {
  readonly artifacts = new Map<string, StoredArtifact>();
  private readonly reservations = new Map<string, { owner: string; expiresAtMs: number }>();
  private sequence = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  async getArtifact(key: CatalogKey): Promise<StoredArtifact | undefined> {
    return this.artifacts.get(id(key));
  }

  async putArtifact(
    key: CatalogKey,
    data: LiteralMapJson,
    options: { readonly overwrite: boolean; readonly source: ArtifactSource },
  ): Promise<void> {
    const existing = this.artifacts.get(id(key));
    if (existing && !options.overwrite) return;
    this.artifacts.set(id(key), {
      id: existing?.id ?? `artifact-${++this.sequence}`,
      data,
      createdAt: new Date(this.clock()).toISOString(),
    });
  }

  async getOrExtendReservation(key: CatalogKey, owner: string, heartbeatMs: number): Promise<ReservationState> {
    const now = this.clock();
    const held = this.reservations.get(id(key));
    if (held && held.owner !== owner && held.expiresAtMs > now)
      return { owner: held.owner, expiresAt: new Date(held.expiresAtMs).toISOString() };
    const expiresAtMs = now + heartbeatMs * RESERVATION_GRACE_MULTIPLIER;
    this.reservations.set(id(key), { owner, expiresAtMs });
    return { owner, expiresAt: new Date(expiresAtMs).toISOString() };
  }

  async releaseReservation(key: CatalogKey, owner: string): Promise<void> {
    if (this.reservations.get(id(key))?.owner === owner) this.reservations.delete(id(key));
  }

  async close(): Promise<void> {}
}

function id(key: CatalogKey): string {
  return canonicalJson({ ...key.dataset, tag: key.tag });
}
