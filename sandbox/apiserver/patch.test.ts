import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import { applyMerge, jsonPatch, mergePatch, patchTypeOf, strategicMergePatch } from './patch.js';

test('merge patch follows RFC 7386', () => {
  assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: 5 }, l: [3] }), {
    b: { c: 5, d: 3 },
    l: [3],
  });
});

test('json patch applies ops and a failed test is 422', () => {
  const doc = { spec: { size: 1, list: ['a'] } };
  assert.deepEqual(
    jsonPatch(doc, [
      { op: 'test', path: '/spec/size', value: 1 },
      { op: 'add', path: '/spec/list/-', value: 'b' },
    ]),
    { spec: { size: 1, list: ['a', 'b'] } },
  );
  assert.deepEqual(doc, { spec: { size: 1, list: ['a'] } });
  assert.throws(
    () => jsonPatch(doc, [{ op: 'test', path: '/spec/size', value: 2 }]),
    (e: unknown) => e instanceof ApiError && e.status === 422,
  );
  assert.throws(
    () => jsonPatch(doc, { op: 'add' }),
    (e: unknown) => e instanceof ApiError && e.status === 400,
  );
});

test('strategic merge patch merges lists by key and honours directives', () => {
  const keys = { 'spec.containers': 'name', 'spec.containers.env': 'name' };
  const live = {
    metadata: { finalizers: ['a'] },
    spec: {
      containers: [
        { name: 'main', image: 'x', env: [{ name: 'A', value: '1' }] },
        { name: 'side', image: 'y' },
      ],
    },
  };
  const out = strategicMergePatch(
    live,
    {
      metadata: { finalizers: ['b'] },
      spec: {
        containers: [
          { name: 'main', env: [{ name: 'B', value: '2' }] },
          { name: 'side', $patch: 'delete' },
          { name: 'new', image: 'z' },
        ],
        '$setElementOrder/containers': [{ name: 'main' }],
      },
    },
    keys,
  );
  assert.deepEqual(out, {
    metadata: { finalizers: ['a', 'b'] },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'x',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
        { name: 'new', image: 'z' },
      ],
    },
  });
  assert.deepEqual(
    strategicMergePatch(
      { metadata: { finalizers: ['a', 'b'] } },
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
      {},
    ),
    { metadata: { finalizers: ['b'] } },
  );
  assert.deepEqual(strategicMergePatch({ spec: { x: { a: 1 } } }, { spec: { x: { $patch: 'replace', b: 2 } } }, {}), {
    spec: { x: { b: 2 } },
  });
});

test('apply merges the configuration; content types map to patch types', () => {
  assert.deepEqual(applyMerge({ spec: { a: 1, l: [1] } }, { spec: { b: 2, l: [2] } }), {
    spec: { a: 1, b: 2, l: [2] },
  });
  assert.equal(patchTypeOf('application/merge-patch+json; charset=utf-8'), 'merge');
  assert.equal(patchTypeOf('application/json-patch+json'), 'json');
  assert.equal(patchTypeOf('application/strategic-merge-patch+json'), 'strategic');
  assert.equal(patchTypeOf('application/apply-patch+yaml'), 'apply');
  assert.equal(patchTypeOf('text/plain'), undefined);
});
