import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBlobStore } from '../../storage/open.js';
import { BlobOutputStore, outputObjectUri } from './blob-output-store.js';
import { AdapterError } from './errors.js';

const owner = { metadata: { name: 'wf', namespace: 'team-a', uid: 'u-1' } };

test('BlobOutputStore: round-trips under a deterministic object per ref; missing, too large, bad and corrupt refs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-blob-outputs-'));
  const store = await openBlobStore(`file://${dir}`);
  try {
    const outputs = new BlobOutputStore({ store, maxBytes: 1000 });
    const ref = 'u-1/extract';
    assert.equal(await outputs.get(ref, owner), undefined, 'nothing stored yet');
    await outputs.put(ref, { rows: 42 }, owner);
    await outputs.put(ref, { rows: 42 }, owner); // a repeated round writes the same object again
    assert.deepEqual(await outputs.get(ref, owner), { rows: 42 });
    const uri = outputObjectUri(store, ref, owner);
    assert.match(uri, new RegExp(`^file://${dir}/flotilla/team-a/u-1/outputs/[0-9a-f]{20}\\.json$`));
    assert.equal(outputObjectUri(store, ref, owner), uri, 'deterministic');
    assert.notEqual(outputObjectUri(store, 'u-1/other', owner), uri, 'one object per ref');
    await assert.rejects(outputs.put(ref, { blob: 'x'.repeat(2000) }, owner), (e: unknown) => {
      assert.ok(e instanceof AdapterError && e.code === 'OutputTooLarge', String(e));
      assert.match(e.message, /more than the 1000 allowed/);
      return true;
    });
    await assert.rejects(
      outputs.get('no-slash', owner),
      (e: unknown) => e instanceof AdapterError && e.code === 'BadRef',
    );
    await store.put(uri, Buffer.from('[1,2]'));
    await assert.rejects(
      outputs.get(ref, owner),
      (e: unknown) => e instanceof AdapterError && e.code === 'CorruptOutput',
    );
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
