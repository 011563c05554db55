import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubeError, StatusConflictError, kubeServer, toKubeError } from './errors.js';

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

test('an HTTP answer keeps the Status message and details', () => {
  const body = {
    kind: 'Status',
    reason: 'Forbidden',
    code: 403,
    message: 'pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1',
    details: { name: 'p', kind: 'pods' },
  };
  const mapped = toKubeError(api(403, JSON.stringify(body)), 'create pod ns/p');
  assert.equal(mapped.code, 'Forbidden');
  assert.equal(mapped.serverMessage, body.message);
  assert.deepEqual(mapped.details, body.details);
  assert.ok(mapped.message.includes(body.message), mapped.message);
  assert.equal(mapped.terminal, true);
});

test('a transport error names the system code and the server', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}` }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  assert.equal(kubeServer(kc), `127.0.0.1:${port}`);
  const error = await kc
    .makeApiClient(CoreV1Api)
    .listNamespace()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  const mapped = toKubeError(error, 'list namespaces', kubeServer(kc));
  assert.equal(mapped.code, 'Unavailable');
  assert.equal(mapped.retryable, true);
  assert.equal(mapped.syscallCode, 'ECONNREFUSED');
  assert.match(mapped.message, new RegExp(`connection refused \\(ECONNREFUSED\\).*127\\.0\\.0\\.1:${port}`));
});

test('the next step follows the cause: TLS, unreachable, credentials, permission; none for the rest', () => {
  const tls = new KubeError('Unavailable', 'x', { syscallCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', server: 'h:6443' });
  assert.match(tls.nextStep ?? '', /certificate-authority does not sign the certificate of the API server at h:6443/);
  const refused = new KubeError('Unavailable', 'x', { syscallCode: 'ECONNREFUSED', server: 'h:6443' });
  assert.match(refused.nextStep ?? '', /check that the API server at h:6443 is running and reachable/);
  assert.match(new KubeError('Forbidden', 'x', { status: 401 }).nextStep ?? '', /refused the kubeconfig's credentials/);
  assert.match(new KubeError('Forbidden', 'x', { status: 403 }).nextStep ?? '', /kubectl auth can-i --list/);
  assert.equal(new KubeError('Unavailable', 'x', { status: 503 }).nextStep, undefined, 'an answer: not a transport');
  assert.equal(new KubeError('NotFound', 'x', { status: 404 }).nextStep, undefined);
  assert.equal(new KubeError('Conflict', 'x', { status: 409 }).nextStep, undefined);
});

test('a certificate error from the transport says TLS verification failed', () => {
  const cause = Object.assign(new Error('unable to verify the first certificate'), {
    code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  });
  const mapped = toKubeError(Object.assign(new Error('request failed'), { cause }), 'list leases', '10.0.0.1:443');
  assert.equal(
    mapped.message,
    'list leases: TLS verification failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE) talking to the API server at 10.0.0.1:443',
  );
  assert.match(mapped.nextStep ?? '', /certificate-authority/);
});
