/**
 * The catalog backends keep one contract (src/catalog/model.ts), checked here against each: in
 * memory, the embedded one on a real Redis, and Flyte's datacatalog over real gRPC (a small
 * in-test datacatalog server, test/support/datacatalog.ts). Then what only the gRPC client does:
 * the calls FlytePropeller's catalog client makes, in its order, and errors named with the endpoint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { MemoryCatalogBackend } from '../../src/catalog/memory.js';
import { RedisCatalogBackend } from '../../src/catalog/redis.js';
import { DataCatalogBackend } from '../../src/catalog/datacatalog.js';
import { CatalogClient } from '../../src/catalog/catalog.js';
import { nativeCatalogFrontEnd } from '../../src/catalog/native.js';
import { CatalogError } from '../../src/catalog/errors.js';
import type { CatalogBackend, CatalogKey } from '../../src/catalog/model.js';
import type { TaskContext } from '../../src/engine/plugins.js';
import { RedisServer } from '../support/redis.js';
import { TestDataCatalog } from '../support/datacatalog.js';

const source = { executionName: 'default/wf', nodeId: 'n0', attempt: 1 };
let n = 0;
function freshKey(): CatalogKey {
  n++;
  return {
    dataset: { project: 'flytesnacks', domain: 'development', name: `flyte_task-demo.t${n}`, version: `v1-abc` },
    tag: `flyte_cached-${n}`,
  };
}
const int = (v: string) => ({ scalar: { primitive: { integer: v } } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function contract(name: string, open: () => CatalogBackend) {
  describe(`${name} catalog backend`, () => {
    test('an unknown key has no artifact; a put is read back', async () => {
      const backend = open();
      const key = freshKey();
      assert.equal(await backend.getArtifact(key), undefined);
      await backend.putArtifact(key, { o0: int('42') }, { overwrite: false, source });
      const artifact = await backend.getArtifact(key);
      assert.deepEqual(artifact?.data, { o0: int('42') });
      assert.ok(artifact?.createdAt && Date.parse(artifact.createdAt) > Date.now() - 60_000);
    });

    test('without overwrite the first entry stays; with overwrite it is replaced', async () => {
      const backend = open();
      const key = freshKey();
      await backend.putArtifact(key, { o0: int('1') }, { overwrite: false, source });
      await backend.putArtifact(key, { o0: int('2') }, { overwrite: false, source });
      assert.deepEqual((await backend.getArtifact(key))?.data, { o0: int('1') });
      await backend.putArtifact(key, { o0: int('3') }, { overwrite: true, source });
      assert.deepEqual((await backend.getArtifact(key))?.data, { o0: int('3') });
      const other = freshKey();
      await backend.putArtifact(other, { o0: int('4') }, { overwrite: true, source });
      assert.deepEqual((await backend.getArtifact(other))?.data, { o0: int('4') }, 'overwrite of nothing creates');
    });

    test('a reservation has one owner until it is released or expires', async () => {
      const backend = open();
      const key = freshKey();
      const a = await backend.getOrExtendReservation(key, 'a', 10_000);
      assert.equal(a.owner, 'a');
      assert.ok(a.expiresAt && Date.parse(a.expiresAt) > Date.now() + 20_000);
      assert.equal((await backend.getOrExtendReservation(key, 'b', 10_000)).owner, 'a');
      assert.equal((await backend.getOrExtendReservation(key, 'a', 10_000)).owner, 'a', 'the owner extends');
      await backend.releaseReservation(key, 'b');
      assert.equal((await backend.getOrExtendReservation(key, 'b', 10_000)).owner, 'a', 'only the owner releases');
      await backend.releaseReservation(key, 'a');
      assert.equal((await backend.getOrExtendReservation(key, 'b', 10_000)).owner, 'b');

      const short = freshKey();
      assert.equal((await backend.getOrExtendReservation(short, 'a', 50)).owner, 'a');
      assert.equal((await backend.getOrExtendReservation(short, 'b', 50)).owner, 'a');
      await sleep(250);
      assert.equal((await backend.getOrExtendReservation(short, 'b', 50)).owner, 'b', 'an expired one is taken');
    });

    test('through the catalog client, native JSON values survive the store', async () => {
      const catalog = new CatalogClient({ backend: open(), frontEnd: nativeCatalogFrontEnd });
      const task: TaskContext = {
        workflow: { namespace: 'team-a', name: 'wf', uid: 'u1' },
        nodeId: 'n',
        attempt: 1,
        taskName: `t${++n}`,
        task: { plugin: 'echo', cache: { version: '1' } },
        inputs: { b: [1, 2], a: { z: 1, y: 'x' } },
        attemptStartedAt: new Date().toISOString(),
      };
      const request = { reserve: true, owner: 'u1/n', heartbeatMs: 10_000 };
      const first = await catalog.lookup(task, request);
      assert.equal(first.result, 'miss');
      assert.equal(first.result === 'miss' && first.reservation?.acquired, true);
      assert.equal(first.result === 'miss' && first.reservation?.owner, 'u1/n');
      const waiting = await catalog.lookup(task, { ...request, owner: 'u2/n' });
      assert.equal(waiting.result === 'miss' && waiting.reservation?.acquired, false, 'another owner waits');
      const outputs = { rows: [{ id: 1, tags: ['a'] }], total: 2.5, note: null };
      await catalog.put(task, outputs, { overwrite: false });
      // The same inputs with their keys in another order are the same key.
      const again = { ...task, inputs: { a: { y: 'x', z: 1 }, b: [1, 2] } };
      assert.deepEqual(await catalog.lookup(again, { ...request, owner: 'u2/n' }), { result: 'hit', outputs });
      const otherInputs = { ...task, inputs: { a: { y: 'x', z: 1 }, b: [2, 1] } };
      assert.equal((await catalog.lookup(otherInputs, { ...request, reserve: false })).result, 'miss');
    });
  });
}

let redis: RedisServer;
const redisBackends: RedisCatalogBackend[] = [];
let datacatalog: TestDataCatalog;
const grpcBackends: DataCatalogBackend[] = [];

before(async () => {
  redis = await RedisServer.start({ persist: false });
  datacatalog = await new TestDataCatalog().start();
});
after(async () => {
  for (const b of [...redisBackends, ...grpcBackends]) await b.close();
  await datacatalog.stop();
  await redis.stop();
});

contract('memory', () => new MemoryCatalogBackend());
contract('redis', () => {
  const backend = new RedisCatalogBackend({ url: redis.url });
  redisBackends.push(backend);
  return backend;
});
contract('datacatalog (gRPC)', () => {
  const backend = new DataCatalogBackend({ address: datacatalog.address });
  grpcBackends.push(backend);
  return backend;
});

describe('datacatalog client', () => {
  test('makes the calls FlytePropeller makes: GetDataset, GetArtifact by tag; CreateDataset, CreateArtifact, AddTag; UpdateArtifact to overwrite', async () => {
    const backend = new DataCatalogBackend({ address: datacatalog.address });
    grpcBackends.push(backend);
    const key = freshKey();
    datacatalog.calls.length = 0;
    assert.equal(await backend.getArtifact(key), undefined);
    assert.deepEqual(datacatalog.calls, ['GetDataset'], 'no dataset: no artifact asked for');
    datacatalog.calls.length = 0;
    await backend.getOrExtendReservation(key, 'me', 10_000);
    await backend.putArtifact(key, { o0: int('5') }, { overwrite: false, source });
    await backend.releaseReservation(key, 'me');
    assert.deepEqual(datacatalog.calls, [
      'GetOrExtendReservation',
      'CreateDataset',
      'CreateArtifact',
      'AddTag',
      'ReleaseReservation',
    ]);
    const [artifact] = [...datacatalog.artifacts.values()].filter((a) => a.dataset?.name === key.dataset.name);
    assert.equal(artifact?.metadata?.keyMap['flotilla-execution'], 'default/wf');
    datacatalog.calls.length = 0;
    await backend.getArtifact(key);
    assert.deepEqual(datacatalog.calls, ['GetDataset', 'GetArtifact']);
    datacatalog.calls.length = 0;
    await backend.putArtifact(key, { o0: int('6') }, { overwrite: true, source });
    assert.deepEqual(datacatalog.calls, ['CreateDataset', 'UpdateArtifact']);
    assert.deepEqual((await backend.getArtifact(key))?.data, { o0: int('6') });
  });

  test('the heartbeat interval goes to the server, which sets the expiry', async () => {
    const backend = new DataCatalogBackend({ address: datacatalog.address });
    grpcBackends.push(backend);
    const key = freshKey();
    const before = Date.now();
    const held = await backend.getOrExtendReservation(key, 'me', 1_500);
    const expires = Date.parse(held.expiresAt ?? '');
    assert.ok(expires >= before + 4_400 && expires <= Date.now() + 4_600, `expires ${held.expiresAt}`);
  });

  test('an unavailable service is a retryable CatalogError naming the endpoint; a refusal is terminal', async () => {
    const backend = new DataCatalogBackend({ address: datacatalog.address });
    grpcBackends.push(backend);
    datacatalog.failWith = grpc.status.UNAVAILABLE;
    try {
      await assert.rejects(backend.getArtifact(freshKey()), (error: unknown) => {
        assert.ok(error instanceof CatalogError);
        assert.equal(error.code, 'Unavailable');
        assert.equal(error.retryable, true);
        assert.match(error.message, new RegExp(`datacatalog ${datacatalog.address}: GetDataset failed: UNAVAILABLE`));
        return true;
      });
      datacatalog.failWith = grpc.status.PERMISSION_DENIED;
      await assert.rejects(backend.getOrExtendReservation(freshKey(), 'me', 1000), (error: unknown) => {
        assert.ok(error instanceof CatalogError);
        assert.equal(error.code, 'Rejected');
        assert.equal(error.retryable, false);
        return true;
      });
    } finally {
      datacatalog.failWith = undefined;
    }
    const closed = new DataCatalogBackend({ address: '127.0.0.1:1', callTimeoutMs: 2000 });
    await assert.rejects(closed.getArtifact(freshKey()), /datacatalog 127\.0\.0\.1:1: GetDataset failed: UNAVAILABLE/);
    await closed.close();
  });
});
