import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageError } from './errors.js';
import { joinBlobUri, parseBlobUri, requireObjectUri } from './uri.js';

const invalid = (pattern?: RegExp) => (e: unknown) =>
  e instanceof StorageError && e.code === 'InvalidUri' && (!pattern || pattern.test(e.message));

describe('blob URIs', () => {
  test('parse file:// and s3:// forms, keeping keys as plain strings', () => {
    assert.deepEqual(parseBlobUri('file:///var/lib/flotilla/blobs/a b.pb'), {
      scheme: 'file',
      path: '/var/lib/flotilla/blobs/a b.pb',
      trailingSlash: false,
    });
    assert.deepEqual(parseBlobUri('s3://my-bucket/meta/x/'), {
      scheme: 's3',
      bucket: 'my-bucket',
      key: 'meta/x',
      trailingSlash: true,
    });
    assert.deepEqual(parseBlobUri('s3://my-bucket'), {
      scheme: 's3',
      bucket: 'my-bucket',
      key: '',
      trailingSlash: false,
    });
  });

  test('refuse other schemes, relative file URIs, bad buckets, empty, . and .. segments', () => {
    assert.throws(() => parseBlobUri('gs://b/k'), invalid(/unsupported scheme 'gs:\/\/'/));
    assert.throws(() => parseBlobUri('/plain/path'), invalid(/not a blob URI/));
    assert.throws(() => parseBlobUri('file://host/x'), invalid(/absolute path/));
    assert.throws(() => parseBlobUri('s3://Bad_Bucket/k'), invalid(/bucket name/));
    assert.throws(() => parseBlobUri('s3://bucket/a//b'), invalid(/empty path segment/));
    assert.throws(() => parseBlobUri('s3://bucket/a/../b'), invalid(/'\.\.'/));
    assert.throws(() => parseBlobUri('file:///a/./b'), invalid(/'\.'/));
  });

  test('join appends segments like Flyte ConstructReference, refusing climbing', () => {
    assert.equal(joinBlobUri('s3://bkt/meta', 'n0/data', '0', 'outputs.pb'), 's3://bkt/meta/n0/data/0/outputs.pb');
    assert.equal(joinBlobUri('s3://bkt/meta/', '/n0/', ''), 's3://bkt/meta/n0');
    assert.equal(joinBlobUri('s3://bkt'), 's3://bkt');
    assert.equal(joinBlobUri('file:///', 'x'), 'file:///x');
    assert.throws(() => joinBlobUri('s3://bkt/meta', '..'), invalid());
    assert.throws(() => joinBlobUri('s3://bkt/meta', 'a/../..'), invalid());
  });

  test('an object URI must not name a prefix or a bare bucket', () => {
    assert.throws(() => requireObjectUri('s3://bkt/dir/'), invalid(/prefix/));
    assert.throws(() => requireObjectUri('s3://bucket'), invalid(/prefix/));
    assert.equal(requireObjectUri('s3://bucket/k').scheme, 's3');
  });
});
