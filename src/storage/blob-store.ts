/**
 * The blob store: one interface, two backends (file://, s3://), in the spirit of Flyte's stow-based
 * `DataStore`. Objects are named by full URIs (`s3://bucket/key`, `file:///abs/path`), built with
 * `join` from the store's `baseUri`; see ./uri.ts for the URI rules.
 *
 * Guarantees every backend keeps (the contract suite in test/storage checks them):
 * - `put` is atomic: a reader sees the old bytes or the new ones, never a partial object. A second
 *   `put` to one URI replaces the object (last writer wins); there is no compare-and-swap.
 * - `get` of a missing object rejects with `StorageError('NotFound')`; `head` resolves `undefined`.
 * - `delete` is idempotent: deleting a missing object succeeds (S3's semantics).
 * - `list(prefix)` yields every object whose URI starts with `prefix` (a string prefix, as in S3, not
 *   a directory: `…/n1` also matches `…/n10/x`), in ascending order of key, fetching a page at a time.
 * - Every failure is a `StorageError`; `retryable` says whether trying again later can help. The s3
 *   backend has already retried a retryable failure `maxAttempts` times before it rejects.
 */

export interface BlobInfo {
  /** The object's full URI. */
  uri: string;
  /** Size in bytes. */
  size: number;
  /** Last modification time, when the backend knows it. */
  lastModified?: Date;
  /** The content type given at `put`, when the backend keeps it (s3:// does, file:// does not). */
  contentType?: string;
}

export interface PutOptions {
  /** The object's MIME type. @defaultValue 'application/octet-stream' */
  contentType?: string;
  /** Cancels the upload. */
  signal?: AbortSignal;
}

export interface GetOptions {
  /** Cancels the download. */
  signal?: AbortSignal;
}

export interface ListOptions {
  /** Objects fetched per request (S3 caps it at 1,000). @defaultValue the store's `listPageSize` */
  pageSize?: number;
  /** Cancels the listing between pages. */
  signal?: AbortSignal;
}

export interface BlobStore {
  /** The URI this store was opened at; `join` builds under it. No trailing slash. */
  readonly baseUri: string;

  /** Reads a whole object. Missing → `StorageError('NotFound')`; over the size limit → `TooLarge`. */
  get(uri: string, options?: GetOptions): Promise<Uint8Array>;

  /** The object's size and metadata, or `undefined` when there is none. */
  head(uri: string): Promise<BlobInfo | undefined>;

  /** Whether an object exists at `uri`. */
  exists(uri: string): Promise<boolean>;

  /** Writes a whole object, atomically, replacing any object at `uri`. Over the limit → `TooLarge`. */
  put(uri: string, bytes: Uint8Array, options?: PutOptions): Promise<void>;

  /** Deletes an object; a missing one is not an error. */
  delete(uri: string): Promise<void>;

  /** Every object under `prefix` (a URI, a string prefix), in ascending key order, paged underneath. */
  list(prefix: string, options?: ListOptions): AsyncIterable<BlobInfo>;

  /** `baseUri` joined with `parts` (see `joinBlobUri`): `store.join('metadata', 'n0', 'data')`. */
  join(...parts: string[]): string;

  /** Releases connections and handles. The store is unusable afterwards. */
  close(): Promise<void>;
}

/** Options every backend takes. */
export interface BlobStoreCommonOptions {
  /**
   * Largest object `get` reads and `put` writes, in bytes; bigger ones fail with `TooLarge`.
   * Metadata documents (inputs.pb, outputs.pb) are small; raw task data does not go through here.
   * @defaultValue 256 MiB
   */
  maxObjectBytes?: number;
  /** Objects fetched per list request. @defaultValue 1000 */
  listPageSize?: number;
}

export const defaultMaxObjectBytes = 256 * 1024 * 1024;
export const defaultListPageSize = 1000;
