/**
 * A launch-plan node completes through the recording admin: `flotilla controller --flyte
 * --admin-endpoint` (a real process, the embedded API server, a real Redis) runs a parent
 * FlyteWorkflow whose node `n0` has `workflow.launchPlanRefId`; the replica asks the recording
 * admin to CreateExecution the child (deterministic name); the admin resolves the launch plan
 * locally (a `launchplan-<name>` ConfigMap naming the workflow) and creates the child
 * FlyteWorkflow; the fleet runs it; its events reach the admin, GetExecution reports it
 * SUCCEEDED with its outputs URI; the parent's node takes the child's outputs and the parent
 * succeeds. A second CreateExecution of the same child is AlreadyExists (started once).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { decodeLiteralMap } from '../../src/flyte/literals/codec.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../src/flyte/types.js';
import { childOf } from '../../src/plugins/flyte/launchplan.js';
import { AdminEventClient } from '../../src/events/admin/client.js';
import { ExecutionCreateRequest } from '../../src/generated/flyteidl/flyteidl/admin/execution.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { openBlobStore } from '../../src/storage/open.js';
import { launchPlanLauncher } from '../../sandbox/admin/launcher.js';
import { startRecordingAdmin, type RecordingAdmin } from '../../sandbox/admin/server.js';
import { fixture } from '../flyte/fixtures.js';
import { LP, NS, parentWorkflow } from '../flyte/launchplan-fixture.js';
import {
  spawnController,
  startControllerEnv,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const flyteApi = { group: FLYTE_GROUP, version: FLYTE_VERSION, plural: FLYTE_PLURAL };
describe('launch plan nodes through the recording admin', () => {
  let dir: string;
  let env: ControllerEnv;
  let admin: RecordingAdmin;
  let store: BlobStore;
  let controller: ControllerProcessHandle;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-flytelp-'));
    const url = `file://${join(dir, 'blobs')}`;
    store = await openBlobStore(url);
    env = await startControllerEnv({ blobStoreUrl: url });
    await env.core.createNamespace({ body: { metadata: { name: NS } } });
    admin = await startRecordingAdmin({ launcher: launchPlanLauncher(env.api.kc) });
    const child = fixture('a-container-chain.yaml');
    delete child['status'];
    await env.core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'launchplan-demo-child-lp' }, data: { flyteworkflow: stringify(child) } },
    });
    controller = await spawnController({
      id: 'r-lp',
      shards: '0-1',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: [
        '--install-flyte-crd',
        '--flyte',
        '--blob-store',
        url,
        '--shard-count',
        '2',
        '--admin-endpoint',
        admin.address,
        '--admin-insecure',
      ],
    });
  });

  after(async () => {
    const code = await controller?.stop('SIGTERM');
    await admin?.stop();
    await env?.stop();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
    assert.equal(code, 0, `controller exit code (stderr: ${controller?.stderr().slice(-2000)})`);
  });

  test('the child runs as its own FlyteWorkflow and the parent takes its outputs', async () => {
    const name = 'fparentlp1';
    await env.custom.createNamespacedCustomObject({ ...flyteApi, namespace: NS, body: parentWorkflow(name) });
    const read = async (n: string) =>
      (await env.custom.getNamespacedCustomObject({ ...flyteApi, namespace: NS, name: n })) as {
        metadata: { labels?: Record<string, string> };
        status?: {
          phase?: number;
          message?: string;
          outputRef?: string;
          nodeStatus?: Record<string, { phase?: number }>;
        };
      };
    const parent = await waitFor(
      async () => {
        const got = await read(name);
        const phase = got.status?.phase;
        return phase === 3 || phase === 5 || phase === 6 ? got : undefined;
      },
      { what: `${name} terminal`, timeoutMs: 120_000 },
    );
    assert.equal(parent.status?.phase, 3, parent.status?.message);

    const child = childOf(
      {
        op: 'launchplan',
        launchPlan: LP,
        nodeId: 'n0',
        parents: [],
        execution: { project: 'flytesnacks', domain: 'development', name },
        namespace: NS,
      },
      1,
    );
    const childFw = await read(child.name);
    assert.equal(childFw.status?.phase, 3, 'the child FlyteWorkflow succeeded');
    assert.match(childFw.metadata.labels?.['shard-key'] ?? '', /^\d+$/);
    assert.equal(admin.records.execution(`flytesnacks:development:${child.name}`)?.phase, 'SUCCEEDED');

    const parentOutputs = decodeLiteralMap(await store.get(parent.status?.outputRef ?? '-'));
    const childOutputs = decodeLiteralMap(await store.get(childFw.status?.outputRef ?? '-'));
    assert.deepEqual(parentOutputs['o0'], childOutputs['o0']);
    assert.ok(childOutputs['o0'], 'the child produced o0');

    // Started once: the same child again is AlreadyExists.
    const client = new AdminEventClient({ endpoint: admin.address, insecure: true });
    try {
      const again = await client.createExecution(
        ExecutionCreateRequest.fromJSON({ ...child, spec: { launchPlan: LP }, inputs: { literals: {} } }),
      );
      assert.equal(again, false);
    } finally {
      client.close();
    }
    const parentNodes = admin.records
      .events(`flytesnacks:development:${name}`)
      .filter((e) => e.kind === 'node' && e.nodeId === 'n0')
      .map((e) => e.phase);
    assert.deepEqual(parentNodes, ['QUEUED', 'RUNNING', 'SUCCEEDED']);
    const running = admin.records
      .events(`flytesnacks:development:${name}`)
      .find((e) => e.kind === 'node' && e.nodeId === 'n0' && e.phase === 'RUNNING')?.event as {
      workflowNodeMetadata?: { executionId?: { name?: string } };
    };
    assert.equal(running.workflowNodeMetadata?.executionId?.name, child.name, 'the node event names its child');
  });
});
