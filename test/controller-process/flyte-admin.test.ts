/**
 * `flotilla controller --flyte --admin-endpoint` as a real process against the embedded API server
 * (its kubelet running the pyflyte-execute stand-in), a real Redis and the sandbox's recording
 * admin (a real gRPC AdminService with admin's event rules, requiring a bearer token): the event
 * stream of a branch-and-retry FlyteWorkflow is what FlytePropeller v1.16.8 would send.
 *
 * The expected stream is written down here from Flyte's rules, not from our output:
 * - workflow (flytepropeller workflow executor TransitionToPhase): RUNNING, then SUCCEEDING, then
 *   SUCCEEDED with the end node's outputs.pb as outputUri.
 * - the start node: a single SUCCEEDED (propeller skips its pre-execute), outputs = the inputs.
 * - a task or branch node: QUEUED (handleNotYetStartedNode), RUNNING (the handler runs), SUCCEEDED.
 *   A retryable failure keeps the node RUNNING (no new node phase reaches admin).
 * - the end node: QUEUED then SUCCEEDED (its handler succeeds at once).
 * - event version 2 (admin's default): the branch's case is reported under its unique id
 *   `<branch>-<branch attempt>-<case>` = `n0-0-n0-n2`, with parentNodeMetadata `n0`, retryGroup
 *   `0` and specNodeId `n0-n2`; the cases not taken get no event (only their status says skipped).
 * - task events per retry attempt (from 0): first QUEUED (the pod was submitted), then possibly
 *   WAITING_FOR_RESOURCES / RUNNING, ending FAILED (attempt 0, a recoverable user error) and
 *   SUCCEEDED (attempt 1, outputUri = that attempt's outputs.pb), each at phaseVersion 0.
 * - order: the workflow's RUNNING first; a node's QUEUED before its tasks' events; attempt 0 ends
 *   before attempt 1 starts; the branch is RUNNING before its case is QUEUED and SUCCEEDED after
 *   it; the end node before SUCCEEDING; SUCCEEDED last.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../src/flyte/types.js';
import { startRecordingAdmin, type RecordingAdmin } from '../../sandbox/admin/server.js';
import type { RecordedEvent } from '../../sandbox/admin/records.js';
import { fixture, get, type Obj } from '../flyte/fixtures.js';
import {
  spawnController,
  startControllerEnv,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const NS = 'flytesnacks-development';
const TOKEN = 'admin-token-for-the-fleet';
const flyteApi = { group: FLYTE_GROUP, version: FLYTE_VERSION, plural: FLYTE_PLURAL };

/** b-branch.yaml (x = 7 takes the else case n0-n2) with two attempts for n0-n2, the first failing. */
function branchAndRetry(name: string): Obj {
  const fw = fixture('b-branch.yaml');
  delete fw['status'];
  const metadata = get(fw, 'metadata');
  metadata['name'] = name;
  get(fw, 'metadata', 'labels')['execution-id'] = name;
  get(fw, 'executionId')['name'] = name;
  fw['workflowMeta'] = { eventVersion: 2 };
  get(fw, 'spec', 'nodes', 'n0-n2')['retry'] = { minAttempts: 2 };
  metadata['annotations'] = {
    'flotilla.io/flyte-stand-in': JSON.stringify({
      'n0-n2': { fail: { origin: 'user', recoverable: true, attempts: 1, code: 'USER:Flaky', message: 'flaky' } },
    }),
  };
  return fw;
}

const TASK_ORDER = ['QUEUED', 'WAITING_FOR_RESOURCES', 'RUNNING', 'SUCCEEDED', 'FAILED'];

describe('flotilla controller --flyte --admin-endpoint', () => {
  let dir: string;
  let env: ControllerEnv;
  let admin: RecordingAdmin;
  let controller: ControllerProcessHandle;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-flyteadmin-'));
    const url = `file://${join(dir, 'blobs')}`;
    env = await startControllerEnv({ blobStoreUrl: url });
    await env.core.createNamespace({ body: { metadata: { name: NS } } });
    admin = await startRecordingAdmin({ security: { token: TOKEN } });
    const tokenFile = join(dir, 'admin-token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    controller = await spawnController({
      id: 'r-admin',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: [
        '--install-flyte-crd',
        '--flyte',
        '--blob-store',
        url,
        '--shard-count',
        '1',
        '--admin-endpoint',
        admin.address,
        '--admin-insecure',
        '--admin-token-file',
        tokenFile,
      ],
    });
  });

  after(async () => {
    const code = await controller?.stop('SIGTERM');
    await admin?.stop();
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
    assert.equal(code, 0, `controller exit code (stderr: ${controller?.stderr().slice(-2000)})`);
  });

  test('a branch-and-retry workflow: the event stream FlytePropeller would send', async () => {
    const name = 'fadminbranch1';
    await env.custom.createNamespacedCustomObject({ ...flyteApi, namespace: NS, body: branchAndRetry(name) });
    const execution = `flytesnacks:development:${name}`;
    await waitFor(
      () => {
        const last = admin.records.events(execution).at(-1);
        return last?.kind === 'workflow' && last.phase === 'SUCCEEDED' ? true : undefined;
      },
      { what: `${name} SUCCEEDED at admin`, timeoutMs: 90_000 },
    );
    const events = admin.records.events(execution);
    // A Flyte round sends admin its events before it writes the status (as FlytePropeller does), so
    // admin can hold SUCCEEDED a moment before the FlyteWorkflow records it.
    const dataDir = await waitFor(
      async () => {
        const { status } = (await env.custom.getNamespacedCustomObject({ ...flyteApi, namespace: NS, name })) as {
          status: { dataDir: string; phase: number };
        };
        return status.phase === 3 ? status : undefined;
      },
      { what: `${name} status phase 3 (SUCCEEDED)`, timeoutMs: 30_000 },
    );
    assert.equal(dataDir.phase, 3);

    const phases = (kind: RecordedEvent['kind'], nodeId?: string) =>
      events.filter((e) => e.kind === kind && e.nodeId === nodeId).map((e) => e.phase);
    assert.deepEqual(phases('workflow'), ['RUNNING', 'SUCCEEDING', 'SUCCEEDED']);
    assert.deepEqual(phases('node', 'start-node'), ['SUCCEEDED']);
    assert.deepEqual(phases('node', 'n0'), ['QUEUED', 'RUNNING', 'SUCCEEDED']);
    assert.deepEqual(phases('node', 'n0-0-n0-n2'), ['QUEUED', 'RUNNING', 'SUCCEEDED']);
    assert.deepEqual(phases('node', 'end-node'), ['QUEUED', 'SUCCEEDED']);
    const nodeIds = new Set(events.filter((e) => e.kind === 'node').map((e) => e.nodeId));
    assert.deepEqual([...nodeIds].sort(), ['end-node', 'n0', 'n0-0-n0-n2', 'start-node']);

    const caseEvent = events.find((e) => e.kind === 'node' && e.nodeId === 'n0-0-n0-n2')?.event as {
      parentNodeMetadata?: { nodeId?: string };
      retryGroup?: string;
      specNodeId?: string;
      nodeName?: string;
    };
    assert.equal(caseEvent.parentNodeMetadata?.nodeId, 'n0');
    assert.equal(caseEvent.retryGroup, '0');
    assert.equal(caseEvent.specNodeId, 'n0-n2');
    assert.equal(caseEvent.nodeName, 'small');

    const tasks = events.filter((e) => e.kind === 'task');
    assert.ok(tasks.every((t) => t.nodeId === 'n0-0-n0-n2' && t.task === 'demo.branch.label' && t.phaseVersion === 0));
    for (const [attempt, end] of [
      [0, 'FAILED'],
      [1, 'SUCCEEDED'],
    ] as const) {
      const seq = tasks.filter((t) => t.retryAttempt === attempt).map((t) => t.phase);
      assert.equal(seq[0], 'QUEUED', `attempt ${attempt}: ${seq.join(' ')}`);
      assert.equal(seq.at(-1), end, `attempt ${attempt}: ${seq.join(' ')}`);
      const order = seq.map((p) => TASK_ORDER.indexOf(p));
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        `attempt ${attempt} in order: ${seq.join(' ')}`,
      );
      assert.equal(new Set(seq).size, seq.length, `attempt ${attempt} phases once each`);
    }
    const failed = tasks.find((t) => t.retryAttempt === 0 && t.phase === 'FAILED')?.event as {
      error?: { kind?: string; message?: string };
    };
    assert.equal(failed.error?.kind, 'USER');
    const succeeded = tasks.find((t) => t.retryAttempt === 1 && t.phase === 'SUCCEEDED')?.event as {
      outputUri?: string;
    };
    assert.equal(succeeded.outputUri, `${dataDir.dataDir}/n0/data/0/n0-n2/1/outputs.pb`);
    const end = events.at(-1)?.event as { outputUri?: string };
    assert.equal(end.outputUri, `${dataDir.dataDir}/end-node/data/0/outputs.pb`);

    const at = (pred: (e: RecordedEvent) => boolean) => events.findIndex(pred);
    const node = (id: string, phase: string) => at((e) => e.kind === 'node' && e.nodeId === id && e.phase === phase);
    const task = (attempt: number, pred: (p: string) => boolean) =>
      events.findIndex((e) => e.kind === 'task' && e.retryAttempt === attempt && pred(e.phase));
    assert.equal(
      at((e) => e.kind === 'workflow' && e.phase === 'RUNNING'),
      0,
    );
    assert.ok(node('n0', 'RUNNING') < node('n0-0-n0-n2', 'QUEUED'));
    assert.ok(node('n0-0-n0-n2', 'QUEUED') < task(0, () => true));
    assert.ok(task(0, (p) => p === 'FAILED') < task(1, () => true));
    assert.ok(task(1, (p) => p === 'SUCCEEDED') < node('n0-0-n0-n2', 'SUCCEEDED'));
    assert.ok(node('n0-0-n0-n2', 'SUCCEEDED') < node('n0', 'SUCCEEDED'));
    assert.ok(node('end-node', 'SUCCEEDED') < at((e) => e.kind === 'workflow' && e.phase === 'SUCCEEDING'));
  });

  test('RecoveryExecution through admin: nodes that succeeded in the earlier execution are RECOVERED from its node executions, without running', async () => {
    const chain = (name: string, edit: (fw: Obj) => void): Obj => {
      const fw = fixture('a-container-chain.yaml');
      delete fw['status'];
      get(fw, 'metadata')['name'] = name;
      get(fw, 'metadata', 'labels')['execution-id'] = name;
      get(fw, 'executionId')['name'] = name;
      edit(fw);
      return fw;
    };
    const phaseOf = async (name: string) =>
      (
        (await env.custom.getNamespacedCustomObject({ ...flyteApi, namespace: NS, name })) as {
          status?: { phase?: number; nodeStatus?: Record<string, { phase?: number }> };
        }
      ).status;
    const terminal = (name: string) =>
      waitFor(
        async () => {
          const status = await phaseOf(name);
          return status?.phase === 3 || status?.phase === 5 ? status : undefined;
        },
        { what: `${name} terminal`, timeoutMs: 90_000 },
      );
    await env.custom.createNamespacedCustomObject({
      ...flyteApi,
      namespace: NS,
      body: chain('fadminrec1', (fw) => {
        get(fw, 'metadata')['annotations'] = {
          'flotilla.io/flyte-stand-in': JSON.stringify({ n2: { fail: { message: 'report server down' } } }),
        };
      }),
    });
    assert.equal((await terminal('fadminrec1')).phase, 5);
    // The earlier FlyteWorkflow goes (as FlyteAdmin's garbage collection would take it): only admin's
    // node executions can answer now.
    await env.custom.deleteNamespacedCustomObject({ ...flyteApi, namespace: NS, name: 'fadminrec1' });
    await waitFor(
      async () => {
        try {
          await phaseOf('fadminrec1');
          return undefined;
        } catch {
          return true;
        }
      },
      { what: 'fadminrec1 deleted' },
    );

    await env.custom.createNamespacedCustomObject({
      ...flyteApi,
      namespace: NS,
      body: chain('fadminrec2', (fw) => {
        get(fw, 'executionConfig')['RecoveryExecution'] = {
          project: 'flytesnacks',
          domain: 'development',
          name: 'fadminrec1',
        };
      }),
    });
    const done = await terminal('fadminrec2');
    assert.equal(done.phase, 3, `(stderr: ${controller.stderr().slice(-1500)})`);
    assert.equal(done.nodeStatus?.['n0']?.phase, 12);
    assert.equal(done.nodeStatus?.['n1']?.phase, 12);
    assert.equal(done.nodeStatus?.['n2']?.phase, 5);
    const events = admin.records.events('flytesnacks:development:fadminrec2');
    const phases = (kind: RecordedEvent['kind'], nodeId: string) =>
      events.filter((e) => e.kind === kind && e.nodeId === nodeId).map((e) => e.phase);
    assert.deepEqual(phases('node', 'n0'), ['RECOVERED']);
    assert.deepEqual(phases('node', 'n1'), ['RECOVERED']);
    assert.deepEqual(phases('task', 'n0'), [], 'a recovered node has no attempt');
    assert.deepEqual(phases('task', 'n1'), []);
    assert.deepEqual(phases('node', 'n2'), ['QUEUED', 'RUNNING', 'SUCCEEDED']);
    assert.ok(phases('task', 'n2').includes('SUCCEEDED'));
    // The recovered outputs are the earlier execution's, as admin recorded them.
    const earlier = admin.records.nodeExecution('flytesnacks:development:fadminrec1', 'n1');
    const recovered = admin.records.nodeExecution('flytesnacks:development:fadminrec2', 'n1');
    assert.equal(earlier?.phase, 'SUCCEEDED');
    assert.equal(recovered?.phase, 'RECOVERED');
    assert.deepEqual(recovered?.outputData, earlier?.outputData);
    assert.ok(earlier?.outputData, 'small outputs travel inline');
  });
});
