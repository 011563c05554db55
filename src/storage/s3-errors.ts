/**
 * Maps what @aws-sdk/client-s3 throws to `StorageError`, by the HTTP status in `$metadata`, the
 * error's `name` (S3's error code) and, for transport failures, Node's errno `code`: never by
 * message text.
 */
import { StorageError, type StorageErrorCode } from './errors.js';

/** What the SDK's errors carry that we read; everything optional, checked at run time. */
interface SdkErrorFields {
  name: string;
  status: number | undefined;
  errno: string | undefined;
}

// Transport failures: the store was not reached or the connection broke.
const networkErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'EPROTO',
]);
const networkNames = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'ThrottlingException',
]);
const deniedNames = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'AllAccessDisabled',
]);
const missingNames = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);

/**
 * A `StorageError` for an SDK failure. `what` says what was attempted ("read s3://b/k"), `endpoint`
 * names the server (host:port) so an unreachable one is obvious from the message alone.
 */
export function toStorageError(
  error: unknown,
  what: string,
  context: { uri?: string; endpoint: string },
): StorageError {
  if (error instanceof StorageError) return error;
  const fields = sdkErrorFields(error);
  const code = codeFor(fields);
  const status = fields.status;
  const detail = [status === undefined ? undefined : `HTTP ${status}`, fields.name, fields.errno]
    .filter((x) => x !== undefined && x !== 'Error')
    .join(' ');
  const where =
    code === 'Unavailable' && status === undefined
      ? `cannot reach the S3 endpoint ${context.endpoint}`
      : `at ${context.endpoint}`;
  const hint =
    code === 'AccessDenied' && fields.name === 'CredentialsProviderError'
      ? ': no AWS credentials in the standard chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws)'
      : '';
  return new StorageError(code, `${what}: ${describe(code)} ${where} (${detail || 'no detail'})${hint}`, {
    cause: error,
    uri: context.uri,
    status,
  });
}

function codeFor({ name, status, errno }: SdkErrorFields): StorageErrorCode {
  if (status !== undefined && status > 0) {
    if (status === 404 || missingNames.has(name)) return 'NotFound';
    if (status === 401 || status === 403 || deniedNames.has(name)) return 'AccessDenied';
    if (status === 413 || name === 'EntityTooLarge') return 'TooLarge';
    if (status === 408 || status === 429 || status >= 500 || networkNames.has(name)) return 'Unavailable';
    return 'Unknown';
  }
  if (name === 'CredentialsProviderError') return 'AccessDenied';
  if (missingNames.has(name)) return 'NotFound';
  if (deniedNames.has(name)) return 'AccessDenied';
  if ((errno !== undefined && networkErrnos.has(errno)) || networkNames.has(name)) return 'Unavailable';
  return 'Unknown';
}

function describe(code: StorageErrorCode): string {
  switch (code) {
    case 'NotFound':
      return 'no such object or bucket';
    case 'AccessDenied':
      return 'access denied';
    case 'TooLarge':
      return 'object too large';
    case 'Unavailable':
      return 'store unavailable';
    default:
      return 'failed';
  }
}

function sdkErrorFields(error: unknown): SdkErrorFields {
  if (typeof error !== 'object' || error === null) return { name: 'Error', status: undefined, errno: undefined };
  const name = 'name' in error && typeof error.name === 'string' ? error.name : 'Error';
  let status: number | undefined;
  if (
    '$metadata' in error &&
    typeof error.$metadata === 'object' &&
    error.$metadata !== null &&
    'httpStatusCode' in error.$metadata
  ) {
    const value = error.$metadata.httpStatusCode;
    status = typeof value === 'number' ? value : undefined;
  }
  let errno = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  // Node reports a connection refused on every address of a host as an AggregateError.
  if (errno === undefined && error instanceof AggregateError) errno = sdkErrorFields(error.errors[0]).errno;
  return { name, status, errno };
}
