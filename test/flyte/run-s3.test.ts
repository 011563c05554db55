/** The in-process Flyte flow against the s3:// backend once (a local S3-compatible server). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runFlyteLocal } from '../../src/cli/flyte-run.js';
import { decodeLiteralMap } from '../../src/flyte/literals/codec.js';
import { parseFlyteWorkflow, WorkflowPhase } from '../../src/flyte/index.js';
import type { ContainerLaunch } from '../../src/plugins/flyte/index.js';
import { openBlobStore } from '../../src/storage/open.js';
import { startS3Server, type S3TestServer } from '../support/s3.js';
import { fixture } from './fixtures.js';

let s3: S3TestServer;
before(async () => {
  s3 = await startS3Server({ buckets: ['flyte-meta'] });
});
after(async () => {
  await s3.stop();
});

test('the sub-workflow fixture runs with its data in s3://', async () => {
  const store = await openBlobStore('s3://flyte-meta/flotilla', {
    s3: { endpoint: s3.endpoint, region: s3.region, credentials: s3.credentials, forcePathStyle: true },
  });
  const launches: ContainerLaunch[] = [];
  try {
    const result = await runFlyteLocal({
      workflow: parseFlyteWorkflow(fixture('c-subworkflow.yaml')),
      store,
      onLaunch: (l) => launches.push(l),
    });
    assert.equal(result.status.phase, WorkflowPhase.Succeeded, result.status.message);
    assert.match(result.dataDir, /^s3:\/\/flyte-meta\/flotilla\/metadata\/flytesnacks-development-fc3subwf6t9v2y4z$/);
    assert.equal(launches.length, 2);
    for (const l of launches) {
      assert.deepEqual(decodeLiteralMap(await store.get(l.paths.inputs)), {
        v: { scalar: { primitive: { integer: '21' } } },
      });
      assert.ok(decodeLiteralMap(await store.get(l.paths.outputs))['o0']);
    }
    assert.deepEqual(decodeLiteralMap(await store.get(result.status.outputRef ?? '')), {
      o0: { scalar: { primitive: { integer: '21' } } },
    });
  } finally {
    await store.close();
  }
});
