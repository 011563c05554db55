/**
 * The catalog's data model, in the shape of Flyte's datacatalog (flyteidl `datacatalog.proto`), so
 * one task catalog works over the embedded stores and over Flyte's own service:
 * a **dataset** per (project, domain, task name, cache version), an **artifact** per stored
 * output set, a **tag** per input hash pointing at one artifact, a **reservation** per
 * (dataset, tag) with an owner and an expiry.
 *
 * Values are flyteidl `Literal`s in protobuf JSON (the front end's codec turns engine values into
 * literals and back), so an entry written here is readable by FlytePropeller and flytekit.
 */
import type { JsonValue } from '../api/schema.js';

/** flyteidl `datacatalog.DatasetID` (the `UUID` and `org` fields are left empty, as FlytePropeller does). */
export interface DatasetId {
  readonly project: string;
  readonly domain: string;
  readonly name: string;
  readonly version: string;
}

/** Where one task's outputs for one set of inputs live: the dataset and the tag (the input hash). */
export interface CatalogKey {
  readonly dataset: DatasetId;
  readonly tag: string;
}

/** Output name → flyteidl Literal (protobuf JSON). */
export type LiteralMapJson = Readonly<Record<string, JsonValue>>;

export interface StoredArtifact {
  readonly id: string;
  readonly data: LiteralMapJson;
  /** ISO 8601. */
  readonly createdAt?: string;
}

/** flyteidl `datacatalog.Reservation`, as the caller needs it. */
export interface ReservationState {
  readonly owner: string;
  /** ISO 8601. */
  readonly expiresAt?: string;
}

/** What the producing execution was (datacatalog keeps it in the artifact's metadata). */
export interface ArtifactSource {
  readonly executionName: string;
  readonly nodeId: string;
  readonly attempt: number;
}

/**
 * A store with datacatalog's semantics. Thrown errors are `CatalogError`s (`Unavailable` =
 * transient). Every method is idempotent for its arguments.
 */
export interface CatalogBackend {
  /** The artifact the key's tag points at; `undefined` when there is none. */
  getArtifact(key: CatalogKey, signal?: AbortSignal): Promise<StoredArtifact | undefined>;
  /**
   * Creates the dataset if needed, then an artifact holding `data` and the tag pointing at it.
   * Without `overwrite` an existing tag is kept (the first writer wins, as AddTag's AlreadyExists);
   * with it the tagged artifact's data is replaced (UpdateArtifact), or created when there is none.
   */
  putArtifact(
    key: CatalogKey,
    data: LiteralMapJson,
    options: { readonly overwrite: boolean; readonly source: ArtifactSource },
    signal?: AbortSignal,
  ): Promise<void>;
  /** Takes the reservation for `owner` when free or expired, extends it when `owner` holds it; else reports the holder. */
  getOrExtendReservation(
    key: CatalogKey,
    owner: string,
    heartbeatMs: number,
    signal?: AbortSignal,
  ): Promise<ReservationState>;
  /** Releases `owner`'s reservation; nothing when another owner holds it or none exists. */
  releaseReservation(key: CatalogKey, owner: string, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** How many heartbeats a reservation outlives its last extension (datacatalog's `heartbeatGracePeriodMultiplier` default). */
export const RESERVATION_GRACE_MULTIPLIER = 3;
