/**
 * The sandbox runs the admission webhook as the chart does: `kubectl apply` of an invalid Workflow
 * is refused at the door by the embedded API server calling the webhook's server (certificate from
 * the init-certs logic: the Secret, the caBundles, the files), and a valid one gets its shard label
 * at creation. `webhook: false` (`flotilla sandbox --no-webhook`) leaves it out, also removing the
 * configurations an earlier run left in the API server's data. Kept quick: no fleet, no kubelet.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSandbox, type RunningSandbox } from '../../sandbox/sandbox.js';
import { VALIDATING_WEBHOOK_NAME } from '../../src/webhook/manifests.js';
import { hashShardId } from '../../shard-manager/sharding/hash.js';
import { kubectl } from '../support/kubectl.js';
import { validWorkflow } from '../support/workflows.js';

const repo = resolve(import.meta.dirname, '../..');

function workflow(name: string, task?: string): string {
  const wf = validWorkflow();
  wf.metadata = { name, namespace: 'default' };
  const first = (wf.spec as { nodes: { task?: string }[] }).nodes[0];
  assert.ok(first);
  if (task !== undefined) first.task = task;
  return JSON.stringify(wf);
}

describe('the sandbox runs the admission webhook', () => {
  let dir: string;
  let sandbox: RunningSandbox | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sandbox-webhook-'));
  });
  after(async () => {
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an invalid Workflow is refused at the door; a valid one is labelled at creation', async () => {
    sandbox = await startSandbox({ stateDir: dir, fleet: false, kubelet: false, shardCount: 8 });
    assert.ok(sandbox.webhook, 'webhook running');
    assert.match(sandbox.webhook.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const kubeconfig = sandbox.kubeconfigPath;

    const refused = await kubectl(kubeconfig, ['apply', '-f', '-'], { input: workflow('broken', 'no-such-task') });
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, new RegExp(`admission webhook "${VALIDATING_WEBHOOK_NAME}" denied the request`));
    assert.match(refused.stderr, /spec\.nodes\[0\]\.task: .*no-such-task/);
    const absent = await kubectl(kubeconfig, ['get', 'workflow', 'broken', '-n', 'default']);
    assert.notEqual(absent.code, 0, 'nothing stored');

    const admitted = await kubectl(kubeconfig, ['apply', '-f', '-'], { input: workflow('fine') });
    assert.equal(admitted.code, 0, admitted.stderr);
    const label = await kubectl(kubeconfig, [
      'get',
      'workflow',
      'fine',
      '-n',
      'default',
      '-o',
      'jsonpath={.metadata.labels.flotilla\\.io/shard}',
    ]);
    assert.equal(label.stdout, hashShardId('default', 'fine', 8), 'the sandbox fleet’s shard count');

    // The init-certs logic: the chart's Secret in the fleet namespace, the files the server reads.
    const secret = await kubectl(kubeconfig, ['get', 'secret', 'flotilla-webhook-tls', '-n', 'flotilla-system']);
    assert.equal(secret.code, 0, secret.stderr);
    for (const f of ['tls.crt', 'tls.key', 'ca.crt']) assert.ok(existsSync(join(dir, 'webhook', f)), f);
    assert.ok(existsSync(join(dir, 'logs', 'webhook.log')));
    // The refusal came from our webhook (its own count), not from the API server's schema check.
    const metrics = await (await fetch(`${sandbox.webhook.metricsUrl}/metrics`)).text();
    assert.match(metrics, /flotilla_webhook_requests_total\{path="\/validate-workflows",result="denied"\} 1\b/);
    await sandbox.stop();
    sandbox = undefined;
  });

  test('webhook: false leaves it out and removes the configurations a previous run registered', async () => {
    sandbox = await startSandbox({ stateDir: dir, fleet: false, kubelet: false, webhook: false });
    assert.equal(sandbox.webhook, null);
    const configs = await kubectl(sandbox.kubeconfigPath, ['get', 'validatingwebhookconfigurations', '-o', 'name']);
    assert.equal(configs.code, 0, configs.stderr);
    assert.equal(configs.stdout.trim(), '');
    const admitted = await kubectl(sandbox.kubeconfigPath, ['apply', '-f', '-'], {
      input: workflow('admitted-invalid', 'no-such-task'),
    });
    assert.equal(admitted.code, 0, admitted.stderr);
    await sandbox.stop();
    sandbox = undefined;
  });

  test('flotilla sandbox --no-webhook is a flag of the command', async () => {
    const out = await new Promise<{ code: number | null; text: string }>((res) => {
      const child = spawn(process.execPath, [join(repo, 'bin/flotilla.mjs'), 'sandbox', '--help'], { cwd: repo });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.on('close', (code) => res({ code, text }));
    });
    assert.equal(out.code, 0);
    assert.match(out.text, /--no-webhook\s+do not run the admission webhook/);
  });
});
