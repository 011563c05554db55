import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { toStorageError } from './s3-errors.js';

const context = { uri: 's3://b/k', endpoint: '127.0.0.1:9000' };
const service = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
const transport = (code: string) => Object.assign(new Error('connect failed'), { code, $metadata: {} });

describe('S3 errors → StorageError (by status, name and errno; never by message)', () => {
  test('status and name decide the code; retryable only for Unavailable', () => {
    const cases: [unknown, string, boolean][] = [
      [service('NoSuchKey', 404), 'NotFound', false],
      [service('NotFound', 404), 'NotFound', false],
      [service('AccessDenied', 403), 'AccessDenied', false],
      [service('InvalidAccessKeyId', 403), 'AccessDenied', false],
      [service('EntityTooLarge', 400), 'TooLarge', false],
      [service('SlowDown', 503), 'Unavailable', true],
      [service('InternalError', 500), 'Unavailable', true],
      [service('InvalidArgument', 400), 'Unknown', false],
      [transport('ECONNREFUSED'), 'Unavailable', true],
      [transport('ENOTFOUND'), 'Unavailable', true],
      [Object.assign(new Error('x'), { name: 'TimeoutError' }), 'Unavailable', true],
      [Object.assign(new Error('x'), { name: 'CredentialsProviderError' }), 'AccessDenied', false],
      [new AggregateError([transport('ECONNREFUSED')]), 'Unavailable', true],
    ];
    for (const [error, code, retryable] of cases) {
      const mapped = toStorageError(error, 'read s3://b/k', context);
      assert.equal(mapped.code, code, mapped.message);
      assert.equal(mapped.retryable, retryable);
      assert.equal(mapped.cause, error);
      assert.equal(mapped.uri, 's3://b/k');
    }
  });

  test('messages name the operation, the URI and the endpoint', () => {
    const mapped = toStorageError(transport('ECONNREFUSED'), 'read s3://b/k', context);
    assert.match(
      mapped.message,
      /^read s3:\/\/b\/k: store unavailable cannot reach the S3 endpoint 127\.0\.0\.1:9000 \(ECONNREFUSED\)$/,
    );
    assert.equal(toStorageError(service('AccessDenied', 403), 'write s3://b/k', context).status, 403);
  });
});
