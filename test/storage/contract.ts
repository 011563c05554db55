/**
 * The blob store contract (src/storage/blob-store.ts), run unchanged against every backend: the
 * file:// store in a temporary directory and the s3:// store against a real S3-compatible server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { BlobInfo, BlobStore } from '../../src/storage/blob-store.js';
import { StorageError } from '../../src/storage/errors.js';
import { nodeDataPaths, executionMetadataPrefix } from '../../src/storage/layout.js';

export interface ContractTarget {
  /** A store at a fresh base URI; `listPageSize` as given. */
  open(options: { listPageSize?: number; maxObjectBytes?: number }): Promise<BlobStore>;
  /** Removes what `open` needed (temp dirs, servers). */
  cleanup(): Promise<void>;
  /**
   * Whether the backend lists in UTF-8 byte order of key as AWS S3 does (`a.txt` before `a/b`).
   * s3rver does not (see test/support/s3.ts): for it the listing test compares sets.
   */
  byteOrderedListing: boolean;
}

export async function collect(items: AsyncIterable<BlobInfo>): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function rejectsWith(promise: Promise<unknown>, code: StorageError['code']): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof StorageError, `expected a StorageError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected StorageError(${code}), it resolved`);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function blobStoreContract(name: string, makeTarget: () => Promise<ContractTarget>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let target: ContractTarget;
    let store: BlobStore;
    let run = 0;
    /** A fresh prefix per test so tests never see each other's objects. */
    const fresh = () => store.join(`t${++run}-${randomBytes(3).toString('hex')}`);

    before(async () => {
      target = await makeTarget();
      store = await target.open({});
    });
    after(async () => {
      await store.close();
      await target.cleanup();
    });

    test('put then get returns the same binary bytes; head and exists see the object', async () => {
      const uri = `${fresh()}/a/inputs.pb`;
      const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255, 0, 10, 13]);
      await store.put(uri, bytes, { contentType: 'application/x-protobuf' });
      assert.deepEqual(await store.get(uri), bytes);
      const info = await store.head(uri);
      assert.equal(info?.size, bytes.length);
      assert.equal(info?.uri, uri);
      assert.equal(await store.exists(uri), true);
    });

    test('a missing object: get rejects NotFound (not retryable, naming the URI); head undefined; exists false', async () => {
      const uri = `${fresh()}/missing/outputs.pb`;
      const error = await rejectsWith(store.get(uri), 'NotFound');
      assert.equal(error.retryable, false);
      assert.equal(error.uri, uri);
      assert.match(error.message, new RegExp(uri.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.equal(await store.head(uri), undefined);
      assert.equal(await store.exists(uri), false);
    });

    test('put overwrites: the last write wins, with the new size', async () => {
      const uri = `${fresh()}/x.pb`;
      await store.put(uri, new Uint8Array(100).fill(1));
      await store.put(uri, new Uint8Array([9, 9]));
      assert.deepEqual(await store.get(uri), new Uint8Array([9, 9]));
      assert.equal((await store.head(uri))?.size, 2);
    });

    test('an empty object round-trips', async () => {
      const uri = `${fresh()}/empty`;
      await store.put(uri, new Uint8Array());
      assert.deepEqual(await store.get(uri), new Uint8Array());
      assert.equal((await store.head(uri))?.size, 0);
    });

    test('delete removes the object; deleting again (or a missing one) succeeds', async () => {
      const uri = `${fresh()}/gone.pb`;
      await store.put(uri, new Uint8Array([1]));
      await store.delete(uri);
      assert.equal(await store.exists(uri), false);
      await rejectsWith(store.get(uri), 'NotFound');
      await store.delete(uri);
    });

    test('list yields every object under a string prefix, in key order, none from beside it', async () => {
      const base = fresh();
      const keys = [
        'n1/data/inputs.pb',
        'n1/data/0/outputs.pb',
        'n1.txt',
        'n10/x',
        'n2/data/0/error.pb',
        'a b/space.pb',
      ];
      for (const key of keys) await store.put(`${base}/${key}`, new TextEncoder().encode(key));
      await store.put(`${base}-beside/n1/x`, new Uint8Array([1]));
      const keysOf = async (prefix: string) => {
        const listed = (await collect(store.list(prefix))).map((i) => i.uri.slice(base.length + 1));
        return target.byteOrderedListing ? listed : listed.sort(byteOrder);
      };
      assert.deepEqual(await keysOf(`${base}/`), [...keys].sort(byteOrder));
      const all = await collect(store.list(`${base}/`));
      assert.deepEqual(all.find((i) => i.uri.endsWith('/n10/x'))?.size, 5);
      // A prefix is a string prefix, not a directory: n1 matches n1/, n1.txt and n10/.
      assert.deepEqual(await keysOf(`${base}/n1`), ['n1.txt', 'n1/data/0/outputs.pb', 'n1/data/inputs.pb', 'n10/x']);
      assert.deepEqual(await keysOf(`${base}/n1/`), ['n1/data/0/outputs.pb', 'n1/data/inputs.pb']);
      assert.deepEqual(await collect(store.list(`${base}/nothing-here/`)), []);
    });

    test('list pages through more than one page (page size 3, 11 objects)', async () => {
      const base = fresh();
      const small = await target.open({ listPageSize: 3 });
      try {
        const uris = Array.from({ length: 11 }, (_, i) => `${base}/k${String(i).padStart(2, '0')}`);
        await Promise.all(uris.map((uri) => small.put(uri, new Uint8Array([1]))));
        assert.deepEqual(
          (await collect(small.list(`${base}/`))).map((i) => i.uri),
          uris,
        );
        assert.deepEqual(
          (await collect(small.list(`${base}/`, { pageSize: 4 }))).map((i) => i.uri),
          uris,
        );
        assert.deepEqual(
          (await collect(small.list(`${base}/`, { pageSize: 11 }))).map((i) => i.uri),
          uris,
        );
      } finally {
        await small.close();
      }
    });

    test('a large object (8 MiB) round-trips byte for byte', async () => {
      const uri = `${fresh()}/big.bin`;
      const bytes = randomBytes(8 * 1024 * 1024);
      await store.put(uri, bytes);
      const back = await store.get(uri);
      assert.equal(back.byteLength, bytes.byteLength);
      assert.ok(Buffer.from(back).equals(bytes), 'same bytes');
    });

    test('an object over maxObjectBytes is refused both ways with TooLarge', async () => {
      const uri = `${fresh()}/limit.bin`;
      const limited = await target.open({ maxObjectBytes: 1024 });
      try {
        await rejectsWith(limited.put(uri, new Uint8Array(1025)), 'TooLarge');
        await store.put(uri, new Uint8Array(2048));
        await rejectsWith(limited.get(uri), 'TooLarge');
        assert.equal((await limited.get(uri).catch(() => undefined)) === undefined, true);
      } finally {
        await limited.close();
      }
    });

    test('concurrent puts to distinct keys all land; concurrent puts to one key leave one whole value', async () => {
      const base = fresh();
      const values = Array.from({ length: 24 }, (_, i) => new Uint8Array(4096).fill(i));
      await Promise.all(values.map((v, i) => store.put(`${base}/many/${i}`, v)));
      for (const [i, v] of values.entries()) assert.deepEqual(await store.get(`${base}/many/${i}`), v);
      await Promise.all(values.map((v) => store.put(`${base}/one`, v)));
      const final = await store.get(`${base}/one`);
      assert.ok(
        values.some((v) => Buffer.from(v).equals(final)),
        'one of the written values, whole',
      );
      assert.equal((await collect(store.list(`${base}/`))).length, values.length + 1);
    });

    test("Flyte's layout: a node attempt's inputs, outputs and error documents live where the layout says", async () => {
      const prefix = executionMetadataPrefix(fresh(), {
        project: 'flytesnacks',
        domain: 'development',
        name: 'f1a2b3',
      });
      const first = nodeDataPaths(prefix, { nodeId: 'n0', attempt: 0 });
      const second = nodeDataPaths(prefix, { nodeId: 'n0', attempt: 1 });
      await store.put(first.inputs, new Uint8Array([1]));
      await store.put(first.error, new Uint8Array([2]));
      await store.put(second.outputs, new Uint8Array([3]));
      const listed = (await collect(store.list(`${first.dataDir}/`))).map((i) => i.uri);
      assert.deepEqual(listed, [first.error, second.outputs, first.inputs]);
      assert.equal(first.inputs, second.inputs);
    });

    test('a URI that climbs out (..), names a prefix, or has another scheme is refused with InvalidUri', async () => {
      const base = fresh();
      await rejectsWith(store.get(`${base}/../escape`), 'InvalidUri');
      await rejectsWith(store.put(`${base}/a/../../b`, new Uint8Array([1])), 'InvalidUri');
      await rejectsWith(store.put(`${base}/dir/`, new Uint8Array([1])), 'InvalidUri');
      await rejectsWith(store.get(`gs://bucket/key`), 'InvalidUri');
      assert.throws(
        () => store.join('a', '..', 'b'),
        (e: unknown) => e instanceof StorageError && e.code === 'InvalidUri',
      );
    });
  });
}
