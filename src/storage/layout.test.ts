import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageError } from './errors.js';
import {
  checkpointPrefix,
  executionMetadataPrefix,
  nodeDataPaths,
  rawOutputPrefix,
  uniqueNodeId,
  workflowInputsUri,
} from './layout.js';

const execution = { project: 'flytesnacks', domain: 'development', name: 'abc123' };
const prefix = executionMetadataPrefix('s3://bucket/metadata/propeller', execution);

describe("Flyte's data layout", () => {
  test('the execution prefix is <root>/<project>-<domain>-<name>', () => {
    assert.equal(prefix, 's3://bucket/metadata/propeller/flytesnacks-development-abc123');
  });

  test('a top-level node: <prefix>/<node>/data holds inputs.pb; <attempt>/ holds outputs, error, deck', () => {
    const paths = nodeDataPaths(prefix, { nodeId: 'n0', attempt: 2 });
    assert.deepEqual(paths, {
      dataDir: `${prefix}/n0/data`,
      outputDir: `${prefix}/n0/data/2`,
      inputs: `${prefix}/n0/data/inputs.pb`,
      outputs: `${prefix}/n0/data/2/outputs.pb`,
      error: `${prefix}/n0/data/2/error.pb`,
      deck: `${prefix}/n0/data/2/deck.html`,
      futures: `${prefix}/n0/data/2/futures.pb`,
    });
  });

  test("a nested node's data dir sits under its parent's attempt directory, level by level", () => {
    const paths = nodeDataPaths(prefix, { nodeId: 'n2', attempt: 0 }, [
      { nodeId: 's', attempt: 0 },
      { nodeId: 'b0', attempt: 1 },
    ]);
    assert.equal(paths.dataDir, `${prefix}/s/data/0/b0/1/n2`);
    assert.equal(paths.outputs, `${prefix}/s/data/0/b0/1/n2/0/outputs.pb`);
  });

  test("the workflow's inputs are the start node's outputs", () => {
    assert.equal(workflowInputsUri(prefix), `${prefix}/start-node/data/0/outputs.pb`);
  });

  test('raw output prefixes are deterministic, differ per attempt and per nesting, and are sharded', () => {
    const a0 = rawOutputPrefix('s3://raw', execution, { nodeId: 'n0', attempt: 0 });
    assert.equal(a0, rawOutputPrefix('s3://raw', execution, { nodeId: 'n0', attempt: 0 }));
    assert.match(a0, /^s3:\/\/raw\/[0-9a-z]{2}\/[0-9a-z]{20}$/);
    assert.notEqual(a0, rawOutputPrefix('s3://raw', execution, { nodeId: 'n0', attempt: 1 }));
    assert.notEqual(
      a0,
      rawOutputPrefix('s3://raw', execution, { nodeId: 'n0', attempt: 0 }, [{ nodeId: 'p', attempt: 0 }]),
    );
    assert.notEqual(a0, rawOutputPrefix('s3://raw', { ...execution, name: 'other' }, { nodeId: 'n0', attempt: 0 }));
    assert.equal(checkpointPrefix(a0), `${a0}/_flytecheckpoints`);
  });

  test('unique node ids join the lineage, and hash when long', () => {
    assert.equal(
      uniqueNodeId({ nodeId: 'n2', attempt: 0 }, [
        { nodeId: 's', attempt: 0 },
        { nodeId: 'b0', attempt: 1 },
      ]),
      's-0-b0-1-n2',
    );
    assert.match(uniqueNodeId({ nodeId: 'x'.repeat(80), attempt: 0 }), /^n[0-9a-z]{20}$/);
  });

  test('ids that would change the layout (slash, dot-dot, empty) and bad attempts are refused', () => {
    const invalid = (e: unknown) => e instanceof StorageError && e.code === 'InvalidUri';
    assert.throws(() => nodeDataPaths(prefix, { nodeId: 'a/b', attempt: 0 }), invalid);
    assert.throws(() => nodeDataPaths(prefix, { nodeId: '..', attempt: 0 }), invalid);
    assert.throws(() => nodeDataPaths(prefix, { nodeId: 'n', attempt: -1 }), invalid);
    assert.throws(() => executionMetadataPrefix('s3://bkt', { ...execution, name: '' }), invalid);
  });
});
