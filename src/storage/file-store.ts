/**
 * The file:// backend: objects are files under one root directory (the embedded default lives under
 * the state directory). Writes go to a temporary file beside the target, are flushed, then renamed
 * over it, so a reader never sees a partial object; directories are created on demand. A URI outside
 * the root, or with a `..` segment, is refused (`InvalidUri`).
 *
 * Unlike S3, one name cannot be both an object and a prefix (`a/b` and `a/b/c`): such a put fails
 * with `Conflict`. Empty directories left by deletes are not pruned; listing ignores them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  defaultListPageSize,
  defaultMaxObjectBytes,
  type BlobInfo,
  type BlobStore,
  type BlobStoreCommonOptions,
  type GetOptions,
  type ListOptions,
  type PutOptions,
} from './blob-store.js';
import { StorageError, type StorageErrorCode } from './errors.js';
import { joinBlobUri, parseBlobUri, requireObjectUri } from './uri.js';

export interface FileBlobStoreOptions extends BlobStoreCommonOptions {
  /** Flush each written file to disk (fsync) before renaming it into place. @defaultValue true */
  fsync?: boolean;
}

/** Temporary files end with this; keys with a segment ending so are refused, and listing skips them. */
const partialSuffix = '.flotilla-partial';

export class FileBlobStore implements BlobStore {
  readonly baseUri: string;
  private readonly maxObjectBytes: number;
  private readonly listPageSize: number;
  private readonly fsync: boolean;

  private constructor(
    /** The root directory, absolute, without a trailing slash. */
    readonly root: string,
    options: FileBlobStoreOptions,
  ) {
    this.baseUri = `file://${root}`;
    this.maxObjectBytes = options.maxObjectBytes ?? defaultMaxObjectBytes;
    this.listPageSize = options.listPageSize ?? defaultListPageSize;
    this.fsync = options.fsync ?? true;
  }

  /** Opens (and creates) the store rooted at `dir`, an absolute or relative directory. */
  static async open(dir: string, options: FileBlobStoreOptions = {}): Promise<FileBlobStore> {
    const root = resolve(dir);
    const store = new FileBlobStore(root, options);
    try {
      await mkdir(root, { recursive: true });
    } catch (error) {
      throw fsError(error, `create the store's root directory ${root}`, store.baseUri);
    }
    return store;
  }

  join(...parts: string[]): string {
    return joinBlobUri(this.baseUri, ...parts);
  }

  async get(uri: string, options: GetOptions = {}): Promise<Uint8Array> {
    const path = this.objectPath(uri);
    options.signal?.throwIfAborted();
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw fsError(error, `read ${uri}`, uri);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new StorageError('NotFound', `read ${uri}: no such object (a directory)`, { uri });
      if (info.size > this.maxObjectBytes) throw tooLarge(uri, info.size, this.maxObjectBytes);
      const bytes = await handle.readFile({ signal: options.signal });
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if (error instanceof StorageError || options.signal?.aborted) throw error;
      throw fsError(error, `read ${uri}`, uri);
    } finally {
      await handle.close();
    }
  }

  async head(uri: string): Promise<BlobInfo | undefined> {
    const path = this.objectPath(uri);
    try {
      const info = await stat(path);
      return info.isFile() ? { uri, size: info.size, lastModified: info.mtime } : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw fsError(error, `stat ${uri}`, uri);
    }
  }

  async exists(uri: string): Promise<boolean> {
    return (await this.head(uri)) !== undefined;
  }

  async put(uri: string, bytes: Uint8Array, options: PutOptions = {}): Promise<void> {
    const path = this.objectPath(uri);
    if (bytes.byteLength > this.maxObjectBytes) throw tooLarge(uri, bytes.byteLength, this.maxObjectBytes);
    options.signal?.throwIfAborted();
    const dir = dirname(path);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      const errno = errnoCode(error);
      if (errno === 'ENOTDIR' || errno === 'EEXIST') {
        throw new StorageError('Conflict', `write ${uri}: a parent of it is an object, not a prefix`, {
          cause: error,
          uri,
        });
      }
      throw fsError(error, `write ${uri}: create directory ${dir}`, uri);
    }
    const temp = join(dir, `.${randomBytes(6).toString('hex')}${partialSuffix}`);
    try {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(bytes, { signal: options.signal });
        if (this.fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      if (options.signal?.aborted) throw error;
      throw fsError(error, `write ${uri}`, uri);
    }
  }

  async delete(uri: string): Promise<void> {
    const path = this.objectPath(uri);
    try {
      await unlink(path);
    } catch (error) {
      // Missing, or a directory (a prefix, not an object): there is no object to delete.
      if (
        isMissing(error) ||
        errnoCode(error) === 'EISDIR' ||
        (errnoCode(error) === 'EPERM' && (await isDirectory(path)))
      )
        return;
      throw fsError(error, `delete ${uri}`, uri);
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<BlobInfo> {
    const parsed = parseBlobUri(prefix);
    if (parsed.scheme !== 'file') throw outside(prefix, this.root);
    const path = parsed.path;
    if (path !== this.root && !path.startsWith(`${this.root}/`)) throw outside(prefix, this.root);
    // The key prefix, relative to the root; a trailing slash in the URI is kept, as S3 would.
    const relative = path === this.root ? '' : path.slice(this.root.length + 1) + (parsed.trailingSlash ? '/' : '');
    // Walk from the deepest directory the prefix surely lies in.
    const start = relative.includes('/') ? relative.slice(0, relative.lastIndexOf('/')) : '';
    const pageSize = options.pageSize ?? this.listPageSize;
    let page: BlobInfo[] = [];
    for await (const entry of this.walk(start)) {
      if (!entry.key.startsWith(relative)) continue;
      page.push({ uri: `${this.baseUri}/${entry.key}`, size: entry.size, lastModified: entry.mtime });
      if (page.length >= pageSize) {
        yield* page;
        page = [];
        options.signal?.throwIfAborted();
      }
    }
    yield* page;
  }

  async close(): Promise<void> {}

  /** Files under `relativeDir`, depth first, in ascending byte order of their key. */
  private async *walk(relativeDir: string): AsyncGenerator<{ key: string; size: number; mtime: Date }> {
    const dir = relativeDir === '' ? this.root : join(this.root, relativeDir);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw fsError(error, `list ${this.baseUri}/${relativeDir}`, `${this.baseUri}/${relativeDir}`);
    }
    // A directory sorts as its name plus '/', so `a.txt` (0x2e) comes before `a/b` (0x2f) as in S3.
    const named = entries
      .filter((entry) => !entry.name.endsWith(partialSuffix) && (entry.isFile() || entry.isDirectory()))
      .map((entry) => ({ entry, sortKey: Buffer.from(entry.isDirectory() ? `${entry.name}/` : entry.name) }))
      .sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    for (const { entry } of named) {
      const key = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) {
        yield* this.walk(key);
        continue;
      }
      try {
        const info = await stat(join(this.root, key));
        yield { key, size: info.size, mtime: info.mtime };
      } catch (error) {
        if (!isMissing(error)) throw fsError(error, `list ${this.baseUri}/${key}`, `${this.baseUri}/${key}`);
      }
    }
  }

  /** The file path of an object URI, refusing anything outside the root or reserved. */
  private objectPath(uri: string): string {
    const parsed = requireObjectUri(uri);
    if (parsed.scheme !== 'file' || !parsed.path.startsWith(`${this.root}/`)) throw outside(uri, this.root);
    if (parsed.path.split('/').some((segment) => segment.endsWith(partialSuffix))) {
      throw new StorageError(
        'InvalidUri',
        `invalid blob URI '${uri}': names ending in '${partialSuffix}' are reserved`,
        { uri },
      );
    }
    return parsed.path;
  }
}

function outside(uri: string, root: string): StorageError {
  return new StorageError('InvalidUri', `invalid blob URI '${uri}': outside the store's root file://${root}`, { uri });
}

function tooLarge(uri: string, size: number, max: number): StorageError {
  return new StorageError('TooLarge', `${uri}: ${size} bytes is over the limit of ${max} bytes`, { uri });
}

function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function isMissing(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

const codes: Record<string, StorageErrorCode> = {
  ENOENT: 'NotFound',
  ENOTDIR: 'NotFound',
  EISDIR: 'Conflict',
  EEXIST: 'Conflict',
  EACCES: 'AccessDenied',
  EPERM: 'AccessDenied',
  EROFS: 'AccessDenied',
  ENOSPC: 'Unavailable',
  EDQUOT: 'Unavailable',
  EMFILE: 'Unavailable',
  ENFILE: 'Unavailable',
  EAGAIN: 'Unavailable',
  EBUSY: 'Unavailable',
  EIO: 'Unavailable',
  EFBIG: 'TooLarge',
  ENAMETOOLONG: 'InvalidUri',
};

/** Maps a Node.js fs error to a `StorageError` by its errno code (an existing one passes through). */
function fsError(error: unknown, what: string, uri: string): StorageError {
  if (error instanceof StorageError) return error;
  const errno = errnoCode(error);
  const code: StorageErrorCode = (errno === undefined ? undefined : codes[errno]) ?? 'Unknown';
  const detail =
    code === 'NotFound'
      ? 'no such object'
      : code === 'Conflict'
        ? 'an object and a prefix share this name'
        : (errno ?? 'error');
  return new StorageError(code, `${what}: ${detail}`, { cause: error, uri });
}
