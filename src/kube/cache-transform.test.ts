import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LAST_APPLIED_ANNOTATION, stripForCache } from './cache-transform.js';

test('stripForCache drops managedFields and the last-applied annotation, keeps everything else', () => {
  const object = {
    metadata: {
      name: 'wf',
      resourceVersion: '7',
      labels: { 'flotilla.io/shard': '3' },
      annotations: { [LAST_APPLIED_ANNOTATION]: '{"spec":{}}', keep: 'me' },
      managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }],
      finalizers: ['flotilla.io/abort'],
    },
    spec: { nodes: [] },
    status: { phase: 'Running' },
  };
  stripForCache(object);
  assert.deepEqual(object, {
    metadata: {
      name: 'wf',
      resourceVersion: '7',
      labels: { 'flotilla.io/shard': '3' },
      annotations: { keep: 'me' },
      finalizers: ['flotilla.io/abort'],
    },
    spec: { nodes: [] },
    status: { phase: 'Running' },
  });
});

test('stripForCache removes an annotations map left empty and leaves bare objects alone', () => {
  const applied = { metadata: { name: 'a', annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } } };
  stripForCache(applied);
  assert.deepEqual(applied, { metadata: { name: 'a' } });
  const bare = {};
  stripForCache(bare);
  assert.deepEqual(bare, {});
});
