/**
 * The generated CRD against the embedded API server, through the real kubectl: it installs, every
 * example is accepted, `kubectl get wf` shows the printer columns, and the schema rejects a
 * Workflow whose node kind is not one of the enum.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { waitFor } from '../support/wait.js';
import { CRD_FILE } from '../../src/api/crd.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('workflows.flotilla.io CRD on the embedded API server (kubectl)', () => {
  let api: TestApiServer;
  before(async () => {
    api = await startTestApiServer();
  });
  after(async () => {
    await api.stop();
  });

  test('installs, accepts every example, prints its columns, rejects a bad kind', async () => {
    const install = await api.kubectl(['apply', '-f', `${root}${CRD_FILE}`]);
    assert.equal(install.code, 0, install.stderr);
    await waitFor(async () => (await api.kubectl(['get', 'wf'])).code === 0, {
      timeoutMs: 20_000,
      what: 'the Workflow resource is served',
    });

    const files = readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml'));
    for (const file of files) {
      const applied = await api.kubectl(['apply', '-n', 'default', '-f', `${root}examples/${file}`]);
      assert.equal(applied.code, 0, `${file}: ${applied.stderr}${applied.stdout}`);
    }
    const listed = await api.kubectl(['get', 'wf', '-n', 'default']);
    assert.equal(listed.code, 0, listed.stderr);
    const header = listed.stdout.split('\n')[0] ?? '';
    assert.match(header, /NAME\s+PHASE\s+PROGRESS\s+SHARD\s+AGE/);
    assert.equal(listed.stdout.trim().split('\n').length, files.length + 1);

    const bad = `apiVersion: flotilla.io/v1alpha1\nkind: Workflow\nmetadata: {name: bad-kind}\nspec:\n  tasks: {t: {plugin: echo}}\n  nodes: [{id: a, kind: job, task: t}]\n`;
    const rejected = await api.kubectl(['apply', '-n', 'default', '-f', '-'], { input: bad });
    assert.notEqual(rejected.code, 0);
    assert.match(rejected.stderr, /kind/);
  });
});
