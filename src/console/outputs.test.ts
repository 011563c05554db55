import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBlobStore } from '../storage/open.js';
import { BlobOutputStore } from '../controller/adapters/blob-output-store.js';
import { ConsoleError } from './errors.js';
import type { AnyWorkflowObject } from './model.js';
import { readNodeOutputs } from './outputs.js';

const workflow: AnyWorkflowObject = {
  kind: 'Workflow',
  metadata: { name: 'etl', namespace: 'team-a' },
  status: {
    nodes: {
      extract: { phase: 'Succeeded', outputRef: 'u-1/extract' },
      'report/upload': { phase: 'Succeeded', outputRef: 'u-1/report/upload' },
      small: { phase: 'Succeeded', outputs: { n: 1 } },
      lost: { phase: 'Succeeded', outputRef: 'u-1/lost' },
    },
  },
};

test("reads a node's offloaded outputs where the controller's store wrote them; inline, unconfigured, missing, corrupt", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-console-outputs-'));
  const store = await openBlobStore(`file://${dir}`);
  try {
    // Written as a replica writes them (the controller's adapter), read by the console.
    const writer = new BlobOutputStore({ store });
    const owner = { metadata: { name: 'etl', namespace: 'team-a', uid: 'u-1' } };
    await writer.put('u-1/extract', { rows: 42, path: 's3://data/x' }, owner);
    await writer.put('u-1/report/upload', { url: 'https://example.test/r' }, owner);

    const extract = await readNodeOutputs(store, workflow, 'extract');
    assert.deepEqual(extract.outputs, { rows: 42, path: 's3://data/x' });
    assert.equal(extract.ref, 'u-1/extract');
    assert.match(extract.uri ?? '', /\/flotilla\/team-a\/u-1\/outputs\/[0-9a-f]{20}\.json$/);
    assert.deepEqual((await readNodeOutputs(store, workflow, 'report/upload')).outputs, {
      url: 'https://example.test/r',
    });

    assert.deepEqual(await readNodeOutputs(store, workflow, 'small'), {
      configured: true,
      ref: null,
      uri: null,
      outputs: null,
    });
    assert.deepEqual(await readNodeOutputs(undefined, workflow, 'extract'), {
      configured: false,
      ref: 'u-1/extract',
      uri: null,
      outputs: null,
    });

    await assert.rejects(
      readNodeOutputs(store, workflow, 'lost'),
      (e: unknown) =>
        e instanceof ConsoleError &&
        e.code === 'NotFound' &&
        /outputs of lost \(u-1\/lost\) are not in the blob store/.test(e.message),
    );
    await writeFile(fileURLToPath(extract.uri ?? ''), 'not json');
    await assert.rejects(
      readNodeOutputs(store, workflow, 'extract'),
      (e: unknown) => e instanceof ConsoleError && e.httpStatus === 500 && /does not hold JSON/.test(e.message),
    );
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
