import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import { fieldMatcher, labelMatcher, parseLabelSelector } from './selectors.js';
import type { KubeObject } from './types.js';

const obj = (labels: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'x', namespace: 'ns', labels },
  ...extra,
});

test('label selector operators', () => {
  const o = obj({ app: 'web', tier: 'front' });
  const m = (s: string): boolean => (labelMatcher(s) ?? (() => true))(o);
  assert.equal(m('app=web'), true);
  assert.equal(m('app==web'), true);
  assert.equal(m('app!=web'), false);
  assert.equal(m('app!=db'), true);
  assert.equal(m('app in (web, db)'), true);
  assert.equal(m('app notin (web)'), false);
  assert.equal(m('missing notin (web)'), true);
  assert.equal(m('tier'), true);
  assert.equal(m('!tier'), false);
  assert.equal(m('!missing'), true);
  assert.equal(m('app=web,tier in (front,back),!missing'), true);
  assert.equal(m('app=web,tier=back'), false);
  assert.deepEqual(parseLabelSelector('a in (x,y)'), [{ key: 'a', op: 'in', values: ['x', 'y'] }]);
  assert.throws(() => parseLabelSelector('a in x'), ApiError);
});

test('field selectors per resource; unsupported fields are 400', () => {
  const pod = obj({}, { status: { phase: 'Running' }, spec: { nodeName: 'n1' } });
  assert.equal(fieldMatcher('status.phase=Running', '/pods', 'Pod')?.(pod), true);
  assert.equal(fieldMatcher('status.phase!=Running', '/pods', 'Pod')?.(pod), false);
  assert.equal(fieldMatcher('spec.nodeName=n1,metadata.name=x', '/pods', 'Pod')?.(pod), true);
  const ev = obj({}, { involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Started', type: 'Normal' });
  assert.equal(fieldMatcher('involvedObject.name=p,reason=Started,type=Normal', '/events', 'Event')?.(ev), true);
  assert.throws(
    () => fieldMatcher('status.phase=Running', '/configmaps', 'ConfigMap'),
    (e: unknown) => e instanceof ApiError && e.status === 400,
  );
});
