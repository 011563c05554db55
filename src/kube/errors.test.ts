import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { KubeError, StatusConflictError, toKubeError } from './errors.js';

const api = (code: number, body: unknown) => new ApiException<unknown>(code, 'message text is never read', body, {});

test('client-node errors map to codes from the status and the Status reason', () => {
  assert.equal(toKubeError(api(404, '{"reason":"NotFound"}'), 'x').code, 'NotFound');
  assert.equal(toKubeError(api(409, '{"kind":"Status","reason":"AlreadyExists"}'), 'x').code, 'AlreadyExists');
  assert.equal(toKubeError(api(409, { reason: 'Conflict' }), 'x').code, 'Conflict');
  assert.equal(toKubeError(api(409, 'not json'), 'x').code, 'Conflict');
  assert.equal(toKubeError(api(422, '{"reason":"Invalid"}'), 'x').code, 'Invalid');
  assert.equal(toKubeError(api(410, '{"reason":"Expired"}'), 'x').code, 'Gone');
  assert.equal(toKubeError(api(403, '{}'), 'x').code, 'Forbidden');
  assert.equal(toKubeError(api(503, '{}'), 'x').code, 'Unavailable');
  assert.equal(toKubeError(api(429, '{}'), 'x').code, 'Unavailable');
  assert.equal(toKubeError(new Error('ECONNREFUSED'), 'x').code, 'Unavailable');
  const mapped = toKubeError(api(409, '{"reason":"AlreadyExists"}'), 'create x');
  assert.equal(mapped.status, 409);
  assert.equal(mapped.reason, 'AlreadyExists');
  assert.equal(mapped.name, 'KubeError');
  assert.ok(mapped.cause instanceof ApiException);
});

test('a KubeError passes through; conflicts are retryable, NotFound is not', () => {
  const conflict = new StatusConflictError('ns/wf', '42');
  assert.equal(toKubeError(conflict, 'x'), conflict);
  assert.equal(conflict.name, 'StatusConflictError');
  assert.ok(conflict instanceof KubeError);
  assert.equal(conflict.retryable, true);
  assert.equal(new KubeError('NotFound', 'gone').retryable, false);
});
