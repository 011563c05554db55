/**
 * Blob URIs, as plain strings the way Flyte's `DataReference` is: `file:///abs/path/key` and
 * `s3://bucket/key`. Keys are not percent-encoded (a space stays a space), segments are separated by
 * `/`, and no segment may be empty, `.` or `..`: a URI names one place and cannot climb out of its
 * prefix. A trailing `/` is allowed in a prefix (listing) and refused for an object.
 */
import { StorageError } from './errors.js';

export type BlobUri =
  | {
      scheme: 'file';
      /** Absolute POSIX path, no trailing slash unless the root. */ path: string;
      trailingSlash: boolean;
    }
  | {
      scheme: 's3';
      bucket: string;
      /** The key, no leading slash; may be empty (the bucket). */ key: string;
      trailingSlash: boolean;
    };

const schemes = ['file://', 's3://'] as const;
// S3's rules for bucket names (lowercase letters, digits, dots and hyphens; 3 to 63 characters).
const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses a blob URI; throws `StorageError('InvalidUri')` naming what is wrong. */
export function parseBlobUri(uri: string): BlobUri {
  if (uri.startsWith('file://')) {
    const path = uri.slice('file://'.length);
    if (!path.startsWith('/')) {
      throw invalid(
        uri,
        'a file:// URI needs an absolute path (file:///abs/path); for a relative directory give the plain path',
      );
    }
    checkSegments(uri, path.slice(1));
    return { scheme: 'file', path: trimTrailingSlash(path), trailingSlash: path.length > 1 && path.endsWith('/') };
  }
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (!bucketName.test(bucket)) throw invalid(uri, `'${bucket}' is not a valid S3 bucket name`);
    checkSegments(uri, key);
    return { scheme: 's3', bucket, key: trimTrailingSlash(key), trailingSlash: key.endsWith('/') };
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1];
  throw invalid(
    uri,
    scheme
      ? `unsupported scheme '${scheme}://'; supported: ${schemes.join(', ')}`
      : `not a blob URI; expected one of ${schemes.join(', ')}`,
  );
}

/**
 * Builds a URI from a base and parts, each part one or more `/`-separated segments (Flyte's
 * `ConstructReference`): `joinBlobUri('s3://b/meta', 'n0/data', '0')` is `s3://b/meta/n0/data/0`.
 * Empty parts are skipped; `.` and `..` segments are refused.
 */
export function joinBlobUri(base: string, ...parts: string[]): string {
  parseBlobUri(base);
  const segments = parts.flatMap((part) => part.split('/')).filter((segment) => segment.length > 0);
  for (const segment of segments) {
    if (segment === '.' || segment === '..')
      throw invalid(`${base}/${parts.join('/')}`, `the segment '${segment}' is not allowed`);
    if (segment.includes('\0')) throw invalid(`${base}/${parts.join('/')}`, 'a NUL character is not allowed');
  }
  if (segments.length === 0) return base;
  const head = base.endsWith('/') ? base.slice(0, -1) : base;
  return `${head}/${segments.join('/')}`;
}

/** Refuses a URI that names a prefix (trailing `/`) or a bare bucket or root where an object is needed. */
export function requireObjectUri(uri: string): BlobUri {
  const parsed = parseBlobUri(uri);
  const empty = parsed.scheme === 's3' ? parsed.key === '' : parsed.path === '/';
  if (parsed.trailingSlash || empty) throw invalid(uri, 'names a prefix, not an object');
  return parsed;
}

function checkSegments(uri: string, rest: string): void {
  if (rest.includes('\0')) throw invalid(uri, 'a NUL character is not allowed');
  if (rest === '') return;
  const segments = trimTrailingSlash(rest).split('/');
  for (const segment of segments) {
    if (segment === '') throw invalid(uri, 'an empty path segment (//) is not allowed');
    if (segment === '.' || segment === '..') throw invalid(uri, `the segment '${segment}' is not allowed`);
  }
}

function trimTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function invalid(uri: string, why: string): StorageError {
  return new StorageError('InvalidUri', `invalid blob URI '${uri}': ${why}`, { uri });
}
