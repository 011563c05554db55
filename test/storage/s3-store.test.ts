/**
 * The blob store contract on the s3:// backend against a real S3-compatible server (s3rver, started
 * here on a free loopback port); then failures only a network store has: an unreachable endpoint,
 * wrong credentials, a missing bucket, and credentials from the standard AWS chain.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StorageError } from '../../src/storage/errors.js';
import { openBlobStore } from '../../src/storage/open.js';
import { S3BlobStore } from '../../src/storage/s3-store.js';
import { freePort } from '../support/ports.js';
import { startS3Server, type S3TestServer } from '../support/s3.js';
import { blobStoreContract, collect } from './contract.js';

blobStoreContract('s3:// (s3rver)', async () => {
  const server = await startS3Server();
  return {
    open: (options) =>
      openBlobStore(`s3://${server.bucket}/contract`, {
        ...options,
        s3: { endpoint: server.endpoint, region: server.region, credentials: server.credentials },
      }),
    byteOrderedListing: false,
    cleanup: () => server.stop(),
  };
});

function isStorageError(code: StorageError['code'], pattern?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof StorageError, `expected a StorageError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

describe('s3:// backend failures', () => {
  let server: S3TestServer;
  before(async () => {
    server = await startS3Server({ buckets: ['flotilla-test', 'other-bucket'] });
  });
  after(() => server.stop());

  test('an unreachable endpoint is Unavailable (retryable), naming host:port, after the SDK retried', async () => {
    const port = await freePort();
    const store = new S3BlobStore('s3://flotilla-test/x', {
      endpoint: `http://127.0.0.1:${port}`,
      credentials: server.credentials,
      maxAttempts: 2,
    });
    try {
      const started = Date.now();
      await assert.rejects(
        store.get('s3://flotilla-test/x/a.pb'),
        isStorageError('Unavailable', new RegExp(`127\\.0\\.0\\.1:${port}`)),
      );
      await assert.rejects(
        store.put('s3://flotilla-test/x/a.pb', new Uint8Array([1])),
        (e: unknown) => e instanceof StorageError && e.retryable,
      );
      await assert.rejects(collect(store.list('s3://flotilla-test/x/')), isStorageError('Unavailable'));
      assert.ok(Date.now() - started < 20_000, 'fails fast on a refused connection');
    } finally {
      await store.close();
    }
  });

  test('wrong credentials are AccessDenied (terminal): an unknown key id, and a known key id with a wrong secret', async () => {
    for (const credentials of [
      { accessKeyId: 'NOBODY', secretAccessKey: server.credentials.secretAccessKey },
      { accessKeyId: server.credentials.accessKeyId, secretAccessKey: 'wrong-secret' },
    ]) {
      const store = new S3BlobStore(`s3://${server.bucket}`, { endpoint: server.endpoint, credentials });
      try {
        await assert.rejects(
          store.put(store.join('denied.pb'), new Uint8Array([1])),
          isStorageError('AccessDenied', /HTTP 403/),
        );
        await assert.rejects(
          store.get(store.join('denied.pb')),
          (e: unknown) => e instanceof StorageError && e.code === 'AccessDenied' && !e.retryable && e.status === 403,
        );
      } finally {
        await store.close();
      }
    }
  });

  test('a missing bucket is NotFound naming the bucket; objects in another bucket are reachable by URI', async () => {
    const store = new S3BlobStore(`s3://${server.bucket}/p`, {
      endpoint: server.endpoint,
      credentials: server.credentials,
    });
    try {
      await assert.rejects(store.get('s3://no-such-bucket/k'), isStorageError('NotFound', /no-such-bucket/));
      await store.put('s3://other-bucket/raw/x', new Uint8Array([7]));
      assert.deepEqual(await store.get('s3://other-bucket/raw/x'), new Uint8Array([7]));
      assert.deepEqual(
        (await collect(store.list('s3://other-bucket/raw/'))).map((i) => i.uri),
        ['s3://other-bucket/raw/x'],
      );
    } finally {
      await store.close();
    }
  });

  test('credentials, region and endpoint from the standard AWS environment when none are given', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
      AWS_REGION: 'eu-west-3',
      AWS_ENDPOINT_URL_S3: server.endpoint,
    });
    try {
      const store = await openBlobStore(`s3://${server.bucket}/env`);
      try {
        await store.put(store.join('a'), new Uint8Array([1, 2]));
        assert.deepEqual(await store.get(store.join('a')), new Uint8Array([1, 2]));
        assert.equal((await store.head(store.join('a')))?.contentType, 'application/octet-stream');
      } finally {
        await store.close();
      }
    } finally {
      for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_ENDPOINT_URL_S3']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  test('with checksums only when required (for S3-compatible servers that refuse the newer headers)', async () => {
    const store = new S3BlobStore(`s3://${server.bucket}/crc`, {
      endpoint: server.endpoint,
      credentials: server.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      await store.put(store.join('a'), new Uint8Array([3]), { contentType: 'text/html' });
      assert.deepEqual(await store.get(store.join('a')), new Uint8Array([3]));
      assert.equal((await store.head(store.join('a')))?.contentType, 'text/html');
    } finally {
      await store.close();
    }
  });

  test('an endpoint that is not an http(s) URL is refused up front', () => {
    assert.throws(
      () => new S3BlobStore('s3://flotilla-test', { endpoint: 'ftp://127.0.0.1:21' }),
      isStorageError('InvalidUri'),
    );
    assert.throws(() => new S3BlobStore('s3://Not_A_Bucket', {}), isStorageError('InvalidUri'));
  });
});
