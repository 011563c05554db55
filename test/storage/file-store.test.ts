/** The blob store contract on the file:// backend, in a temporary directory; then what only it does. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { StorageError } from '../../src/storage/errors.js';
import { FileBlobStore } from '../../src/storage/file-store.js';
import { defaultBlobStoreUrl, openBlobStore } from '../../src/storage/open.js';
import { blobStoreContract, collect } from './contract.js';

blobStoreContract('file://', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-blobs-'));
  return {
    open: (options) => openBlobStore(`file://${dir}/store`, options),
    byteOrderedListing: true,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('file:// backend specifics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-blobs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a plain relative path opens a file store under baseDir; the default lives in <state>/blobs', async () => {
    const store = await openBlobStore('state/blobs', { baseDir: dir });
    assert.equal(store.baseUri, `file://${dir}/state/blobs`);
    assert.equal(defaultBlobStoreUrl(join(dir, 'state')), `file://${dir}/state/blobs`);
    await store.put(store.join('x'), new Uint8Array([1]));
    assert.deepEqual(readdirSync(join(dir, 'state/blobs')), ['x']);
  });

  test('a file:// URI outside the root is refused, even without ..', async () => {
    const store = await FileBlobStore.open(join(dir, 'root'));
    await assert.rejects(
      store.get(`file://${dir}/elsewhere`),
      (e: unknown) => e instanceof StorageError && e.code === 'InvalidUri' && /outside/.test(e.message),
    );
    await assert.rejects(
      store.get(`file://${dir}/root-sibling/x`),
      (e: unknown) => e instanceof StorageError && e.code === 'InvalidUri',
    );
  });

  test('writes leave no temporary files behind; a stray one is never listed', async () => {
    const store = await FileBlobStore.open(join(dir, 'atomic'));
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.put(store.join('d', 'same'), new Uint8Array(1000).fill(i))),
    );
    assert.deepEqual(readdirSync(join(dir, 'atomic/d')), ['same']);
    writeFileSync(join(dir, 'atomic/d/.abc.flotilla-partial'), 'half');
    assert.deepEqual(
      (await collect(store.list(store.join('d') + '/'))).map((i) => i.uri),
      [store.join('d', 'same')],
    );
    await assert.rejects(
      store.put(store.join('d', 'x.flotilla-partial'), new Uint8Array()),
      (e: unknown) => e instanceof StorageError && e.code === 'InvalidUri',
    );
  });

  test('an object where a prefix is needed (a/b, then a/b/c) is a Conflict; a directory is not an object', async () => {
    const store = await FileBlobStore.open(join(dir, 'conflict'));
    await store.put(store.join('a', 'b'), new Uint8Array([1]));
    await assert.rejects(
      store.put(store.join('a', 'b', 'c'), new Uint8Array([1])),
      (e: unknown) => e instanceof StorageError && e.code === 'Conflict',
    );
    await assert.rejects(
      store.get(store.join('a')),
      (e: unknown) => e instanceof StorageError && e.code === 'NotFound',
    );
    assert.equal(await store.head(store.join('a')), undefined);
    await store.delete(store.join('a'));
    assert.equal(await store.exists(store.join('a', 'b')), true);
  });

  test('an unsupported scheme is refused by name', async () => {
    await assert.rejects(
      openBlobStore('gs://bucket/x'),
      (e: unknown) =>
        e instanceof StorageError && e.code === 'InvalidUri' && /unsupported scheme 'gs:\/\/'/.test(e.message),
    );
    await assert.rejects(
      openBlobStore('file://relative/dir'),
      (e: unknown) => e instanceof StorageError && e.code === 'InvalidUri',
    );
  });
});
