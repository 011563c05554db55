/**
 * Opens a blob store from one URL, choosing the backend by scheme:
 * - `file:///abs/dir`, or a plain path (`./state/blobs`, resolved against `baseDir`): file://
 * - `s3://bucket` or `s3://bucket/prefix`: s3://, configured by `options.s3` and the AWS environment
 * Any other scheme is refused with `StorageError('InvalidUri')`.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { BlobStore, BlobStoreCommonOptions } from './blob-store.js';
import { StorageError } from './errors.js';
import { FileBlobStore, type FileBlobStoreOptions } from './file-store.js';
import type { S3BlobStoreOptions } from './s3-store.js';
import { parseBlobUri } from './uri.js';

export interface OpenBlobStoreOptions extends BlobStoreCommonOptions {
  /** Directory a plain relative path is resolved against. @defaultValue process.cwd() */
  baseDir?: string;
  /** Options of the file:// backend. @defaultValue {} */
  file?: Omit<FileBlobStoreOptions, keyof BlobStoreCommonOptions>;
  /** Options of the s3:// backend (endpoint, region, credentials...). @defaultValue {} */
  s3?: Omit<S3BlobStoreOptions, keyof BlobStoreCommonOptions>;
}

export async function openBlobStore(url: string, options: OpenBlobStoreOptions = {}): Promise<BlobStore> {
  const common: BlobStoreCommonOptions = { maxObjectBytes: options.maxObjectBytes, listPageSize: options.listPageSize };
  if (!url.includes('://')) {
    if (url === '' || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url)) {
      throw new StorageError(
        'InvalidUri',
        `invalid blob store URL '${url}': expected file:///abs/dir, s3://bucket[/prefix] or a directory path`,
        { uri: url },
      );
    }
    const dir = isAbsolute(url) ? url : resolve(options.baseDir ?? process.cwd(), url);
    return FileBlobStore.open(dir, { ...options.file, ...common });
  }
  const parsed = parseBlobUri(url);
  if (parsed.scheme === 'file') return FileBlobStore.open(parsed.path, { ...options.file, ...common });
  // The AWS SDK (~20 MiB of RSS) is loaded only by a process that opens an s3:// store.
  const { S3BlobStore } = await import('./s3-store.js');
  return new S3BlobStore(url, { ...options.s3, ...common });
}

/** The embedded default: a file:// store in `blobs/` under the state directory. */
export function defaultBlobStoreUrl(stateDir: string): string {
  return `file://${join(resolve(stateDir), 'blobs')}`;
}
