import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHARD_LABEL, hashShardId } from '../../shard-manager/sharding/hash.js';
import { validWorkflow } from '../../test/support/workflows.js';
import { WebhookError } from './errors.js';
import { mutateWorkflow, parseReview, pointerToken, validateWorkflowReview, type AdmissionRequest } from './review.js';

const request = (object: unknown, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  uid: 'u1',
  operation: 'CREATE',
  name: 'nightly-etl',
  namespace: 'team-a',
  object,
  resource: 'workflows',
  subResource: '',
  ...extra,
});
const decode = (patch: string | undefined): unknown => JSON.parse(Buffer.from(patch ?? '', 'base64').toString('utf8'));

test('parseReview reads uid, operation, name and namespace (from the object when the request lacks them)', () => {
  const r = parseReview({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'x', operation: 'CREATE', object: { metadata: { name: 'n', namespace: 'ns' } } },
  });
  assert.deepEqual(
    { uid: r.uid, operation: r.operation, name: r.name, namespace: r.namespace },
    { uid: 'x', operation: 'CREATE', name: 'n', namespace: 'ns' },
  );
  assert.throws(
    () => parseReview({ kind: 'Pod' }),
    (e) => e instanceof WebhookError && e.code === 'BadReview',
  );
  assert.throws(
    () => parseReview({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }),
    WebhookError,
  );
  assert.throws(
    () => parseReview({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }),
    WebhookError,
  );
});

test('mutate adds the labels map when there is none, with the hash shard', () => {
  const { response, result } = mutateWorkflow(request(validWorkflow()), 32);
  assert.equal(result, 'patched');
  assert.equal(response.patchType, 'JSONPatch');
  assert.deepEqual(decode(response.patch), [
    { op: 'add', path: '/metadata/labels', value: { [SHARD_LABEL]: hashShardId('team-a', 'nightly-etl', 32) } },
  ]);
});

test('mutate sets a missing or wrong label with the / escaped as ~1, and leaves a right one alone', () => {
  const wf = validWorkflow();
  wf.metadata['labels'] = { team: 'a', [SHARD_LABEL]: 'nope' };
  const { response } = mutateWorkflow(request(wf), 8);
  assert.deepEqual(decode(response.patch), [
    { op: 'add', path: '/metadata/labels/flotilla.io~1shard', value: hashShardId('team-a', 'nightly-etl', 8) },
  ]);
  wf.metadata['labels'] = { [SHARD_LABEL]: hashShardId('team-a', 'nightly-etl', 8) };
  const same = mutateWorkflow(request(wf), 8);
  assert.equal(same.result, 'unchanged');
  assert.equal(same.response.patch, undefined);
  assert.equal(pointerToken('a~b/c'), 'a~0b~1c');
});

test('mutate leaves a generateName create alone (the final name, hence the shard, is not known yet)', () => {
  const { response, result } = mutateWorkflow(request({ metadata: { generateName: 'run-' } }, { name: '' }), 32);
  assert.equal(result, 'skipped');
  assert.deepEqual(response, { uid: 'u1', allowed: true });
});

test('validate allows a valid Workflow and denies an invalid one with every issue as path: message lines', () => {
  assert.equal(validateWorkflowReview(request(validWorkflow()), 32).result, 'allowed');
  const wf = validWorkflow();
  const nodes = wf.spec['nodes'] as { task?: string; dependsOn?: string[] }[];
  (nodes[0] ?? assert.fail()).task = 'missing';
  (nodes[2] ?? assert.fail()).dependsOn = ['ghost'];
  const { response, result } = validateWorkflowReview(request(wf), 32);
  assert.equal(result, 'denied');
  assert.equal(response.allowed, false);
  assert.equal(response.status?.code, 400);
  const lines = (response.status?.message ?? '').split('\n');
  assert.ok(lines.length >= 2);
  assert.ok(lines.some((l) => l.startsWith('spec.nodes[0].task: ')));
  assert.ok(lines.some((l) => l.startsWith('spec.nodes[2].dependsOn')));
});

test('validate warns about a shard label that is not the hash shard or not a shard at all', () => {
  const wf = validWorkflow();
  const right = hashShardId('team-a', 'nightly-etl', 32);
  wf.metadata['labels'] = { [SHARD_LABEL]: right === '3' ? '4' : '3' };
  assert.match(validateWorkflowReview(request(wf), 32).response.warnings?.[0] ?? '', /is not the hash shard/);
  wf.metadata['labels'] = { [SHARD_LABEL]: '40' };
  assert.match(validateWorkflowReview(request(wf), 32).response.warnings?.[0] ?? '', /not a shard of this fleet/);
  wf.metadata['labels'] = { [SHARD_LABEL]: right };
  assert.equal(validateWorkflowReview(request(wf), 32).response.warnings, undefined);
});
