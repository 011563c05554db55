import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameContent, sameDocument, sameSpec } from './object-meta.js';
import type { KubeObject, ResourceType } from './types.js';

test('sameDocument: key order does not matter, an undefined key is an absent one, null is a value', () => {
  assert.equal(sameDocument({ a: 1, b: { c: [1, 'x'] } }, { b: { c: [1, 'x'] }, a: 1 }), true);
  assert.equal(sameDocument({ a: 1, gone: undefined }, { a: 1 }), true);
  assert.equal(sameDocument({ a: 1 }, { a: 1, gone: undefined }), true);
  assert.equal(sameDocument({ a: null }, {}), false);
  assert.equal(sameDocument({ a: [1, 2] }, { a: [2, 1] }), false);
  assert.equal(sameDocument({ a: { b: { c: 1 } } }, { a: { b: { c: 2 } } }), false);
  assert.equal(sameDocument({ a: {} }, { a: [] }), false);
  assert.equal(sameDocument([undefined], [null]), true);
  assert.equal(sameDocument('1', 1), false);
});

const object = (over: Partial<KubeObject> & Record<string, unknown>): KubeObject => ({
  apiVersion: 'flotilla.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'w', namespace: 'default', resourceVersion: '5', labels: { a: '1' } },
  spec: { nodes: [{ id: 'n' }] },
  status: { phase: 'Running' },
  ...over,
});

test('sameContent ignores resourceVersion and managedFields, nothing else', () => {
  const a = object({});
  assert.equal(sameContent(a, object({ metadata: { ...a.metadata, resourceVersion: '9', managedFields: [] } })), true);
  assert.equal(sameContent(a, object({ metadata: { ...a.metadata, labels: { a: '2' } } })), false);
  assert.equal(sameContent(a, object({ status: { phase: 'Succeeded' } })), false);
});

test('sameSpec: status counts only without a status subresource; metadata never', () => {
  const withStatus = { statusSubresource: true } as ResourceType;
  const without = { statusSubresource: false } as ResourceType;
  const a = object({});
  const statusChanged = object({ status: { phase: 'Succeeded' } });
  const labelChanged = object({ metadata: { ...a.metadata, labels: { b: '2' } } });
  const specChanged = object({ spec: { nodes: [{ id: 'm' }] } });
  assert.equal(sameSpec(withStatus, a, statusChanged), true);
  assert.equal(sameSpec(without, a, statusChanged), false);
  assert.equal(sameSpec(withStatus, a, labelChanged), true);
  assert.equal(sameSpec(withStatus, a, specChanged), false);
});
