/**
 * batch/v1 Jobs are a stored built-in: discovered by kubectl and client-node, applied, patched
 * (strategic merge on the pod template) and deleted like the real API server's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchV1Api } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../../test/support/apiserver.js';

const job = `
apiVersion: batch/v1
kind: Job
metadata: {name: init-certs, namespace: default}
spec:
  backoffLimit: 3
  template:
    spec:
      restartPolicy: OnFailure
      containers:
        - name: init-certs
          image: flotilla:dev
          args: [init-certs]
`;

describe('batch/v1 Jobs (built-in)', () => {
  let s: TestApiServer;
  before(async () => {
    s = await startTestApiServer();
  });
  after(async () => {
    await s.stop();
  });

  test('discovery lists jobs in batch/v1', async () => {
    const r = await s.kubectl(['api-resources', '--api-group=batch', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^jobs\s+batch\/v1\s+true\s+Job\s/m);
  });

  test('kubectl apply, strategic merge patch of a container, client-node read, delete', async () => {
    const applied = await s.kubectl(['apply', '-f', '-'], { input: job });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /job\.batch\/init-certs created/);
    const patch = JSON.stringify({
      spec: { template: { spec: { containers: [{ name: 'init-certs', image: 'flotilla:2' }] } } },
    });
    const patched = await s.kubectl(['patch', 'job', 'init-certs', '-n', 'default', '-p', patch]);
    assert.equal(patched.code, 0, patched.stderr);
    const got = await s.kc.makeApiClient(BatchV1Api).readNamespacedJob({ namespace: 'default', name: 'init-certs' });
    const containers = got.spec?.template.spec?.containers ?? [];
    assert.deepEqual(
      containers.map((c) => [c.name, c.image, c.args]),
      [['init-certs', 'flotilla:2', ['init-certs']]],
    );
    assert.equal(got.metadata?.generation, 2);
    const del = await s.kubectl(['delete', 'job', 'init-certs', '-n', 'default']);
    assert.equal(del.code, 0, del.stderr);
    const gone = await s.kubectl(['get', 'job', 'init-certs', '-n', 'default']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound/);
  });
});
