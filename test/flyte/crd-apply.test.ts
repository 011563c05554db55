/**
 * The FlyteWorkflow CRD on the embedded API server, through the real kubectl: it installs, every
 * fixture is accepted unpruned, `kubectl get flyteworkflows` (and `fly`) prints the columns, status
 * is written with the object (no status subresource), and an offloaded closure's nulls are kept.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { waitFor } from '../support/wait.js';
import { FLYTE_CRD_FILE } from '../../src/flyte/crd.js';
import { FIXTURE_DIR, fixture, fixtureFiles } from './fixtures.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const NS = 'flytesnacks-development';

describe('flyteworkflows.flyte.lyft.com CRD on the embedded API server (kubectl)', () => {
  let api: TestApiServer;
  before(async () => {
    api = await startTestApiServer();
    const install = await api.kubectl(['apply', '-f', `${root}${FLYTE_CRD_FILE}`]);
    assert.equal(install.code, 0, install.stderr);
    await waitFor(async () => (await api.kubectl(['get', 'flyteworkflows', '-A'])).code === 0, {
      timeoutMs: 20_000,
      what: 'the FlyteWorkflow resource is served',
    });
    const ns = await api.kubectl(['create', 'namespace', NS]);
    assert.equal(ns.code, 0, ns.stderr);
  });
  after(async () => {
    await api.stop();
  });

  test('every fixture applies and reads back unpruned (Go field names, nulls and all)', async () => {
    for (const file of fixtureFiles()) {
      const applied = await api.kubectl(['create', '-f', `${FIXTURE_DIR}${file}`]);
      assert.equal(applied.code, 0, `${file}: ${applied.stderr}${applied.stdout}`);
      const name = fixture(file)['metadata'] as { name: string };
      const got = await api.kubectl(['get', 'flyteworkflow', name.name, '-n', NS, '-o', 'json']);
      assert.equal(got.code, 0, got.stderr);
      const back = JSON.parse(got.stdout) as Record<string, unknown>;
      for (const key of ['spec', 'tasks', 'executionId', 'executionConfig', 'status', 'node-defaults']) {
        assert.deepEqual(back[key], fixture(file)[key], `${file}: ${key} changed on the way through the API server`);
      }
    }
  });

  test('kubectl get flyteworkflows prints phase, project, domain, shard key, shard and age; -o wide adds workflow and message', async () => {
    const listed = await api.kubectl(['get', 'flyteworkflows', '-n', NS]);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+PHASE\s+PROJECT\s+DOMAIN\s+SHARD-KEY\s+SHARD\s+AGE$/);
    assert.equal(lines.length, fixtureFiles().length + 1);
    const chain = lines.find((l) => l.startsWith('fa1chain7k2m9q4x')) ?? '';
    assert.match(chain, /^fa1chain7k2m9q4x\s+1\s+flytesnacks\s+development\s+13\s/);
    const wide = await api.kubectl(['get', 'fly', '-n', NS, '-o', 'wide']);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout.split('\n')[0] ?? '', /\sWORKFLOW\s+MESSAGE$/);
    assert.match(wide.stdout, /ff6onfail9x1z3b5d\s+7\s.*demo-cleanup-ingest\s+\[n1\]: table b is locked/);
  });

  test('status is written with the whole object (no status subresource)', async () => {
    const patched = await api.kubectl([
      'patch',
      'flyteworkflow',
      'fg7sensor4c6e8g0i',
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      '{"status":{"phase":5,"message":"no plugin for task type sensor"}}',
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    const got = await api.kubectl([
      'get',
      'flyteworkflow',
      'fg7sensor4c6e8g0i',
      '-n',
      NS,
      '-o',
      'jsonpath={.status.phase} {.status.message}',
    ]);
    assert.equal(got.stdout, '5 no plugin for task type sensor');
    const sub = await api.kubectl([
      'patch',
      'flyteworkflow',
      'fg7sensor4c6e8g0i',
      '-n',
      NS,
      '--subresource',
      'status',
      '--type',
      'merge',
      '-p',
      '{"status":{"phase":3}}',
    ]);
    assert.notEqual(sub.code, 0, 'a status subresource should not exist');
  });

  test('an offloaded closure (spec and tasks null) is accepted and keeps its nulls', async () => {
    const wf = fixture('c-subworkflow.yaml');
    Object.assign(wf, {
      spec: null,
      tasks: null,
      workflowClosureReference: 's3://flyte-meta/closure.pb',
      offloadedInputs: 's3://flyte-meta/inputs.pb',
    });
    delete wf['subWorkflows'];
    delete wf['inputs'];
    (wf['metadata'] as Record<string, unknown>)['name'] = 'offloaded1';
    const created = await api.kubectl(['create', '-f', '-'], { input: JSON.stringify(wf) });
    assert.equal(created.code, 0, created.stderr);
    const got = JSON.parse((await api.kubectl(['get', 'fly', 'offloaded1', '-n', NS, '-o', 'json'])).stdout) as Record<
      string,
      unknown
    >;
    assert.equal(got['spec'], null);
    assert.equal(got['tasks'], null);
    assert.equal(got['workflowClosureReference'], 's3://flyte-meta/closure.pb');
  });

  test('a wrongly typed top-level field is refused by the schema', async () => {
    const wf = fixture('g-sensor.yaml');
    Object.assign(wf, { acceptedAt: 12, metadata: { ...(wf['metadata'] as object), name: 'badtype1' } });
    const refused = await api.kubectl(['create', '-f', '-'], { input: JSON.stringify(wf) });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /acceptedAt/);
  });
});
