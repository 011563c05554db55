/**
 * The Flyte round's events to FlyteAdmin through a real gRPC client and the sandbox's recording
 * admin (a real gRPC server with admin's rules), the engine driven in-process (the container
 * stand-in on a file:// store) and a hand-written object client:
 * - a replica killed between sending a round's events and writing its status: the next owner
 *   redoes the round, sends the same events, admin answers AlreadyExists, and admin holds every
 *   event once;
 * - admin unreachable: the round writes nothing and comes back;
 * - admin holds the execution as ended: the workflow is failed (state mismatch), once;
 * - admin says another cluster runs it: the workflow is failed (cluster reassigned);
 * - a bearer token is required and sent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineDriver } from '../../src/engine/driver.js';
import { MemoryOutputStore } from '../../src/engine/outputs.js';
import { PluginRegistry } from '../../src/engine/plugin-registry.js';
import { AdminEventClient, type AdminEventRecorder, type AdminResult } from '../../src/events/admin/client.js';
import { WorkflowExecutionEvent } from '../../src/generated/flyteidl/flyteidl/event/event.js';
import { KubeError } from '../../src/kube/errors.js';
import { flytePlugins } from '../../src/plugins/flyte/index.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { openBlobStore } from '../../src/storage/open.js';
import type { FlyteObject } from '../../src/controller/flyte/client.js';
import { FlyteRoundRunner, type FlyteRoundRun } from '../../src/controller/flyte/round.js';
import { flyteKey } from '../../src/controller/flyte/keys.js';
import { startRecordingAdmin, type RecordingAdmin } from '../../sandbox/admin/server.js';
import { fixture } from '../flyte/fixtures.js';

const TOKEN = 'test-admin-token-1';

let dir: string;
let store: BlobStore;
let admin: RecordingAdmin;
let tokenFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-adminround-'));
  store = await openBlobStore(`file://${join(dir, 'blobs')}`);
  admin = await startRecordingAdmin({ security: { token: TOKEN } });
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${TOKEN}\n`);
});
after(async () => {
  await admin.stop();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Keeps objects by resourceVersion; `failWrites` makes replace throw as if the process died first. */
class ObjectClient {
  readonly objects = new Map<string, FlyteObject>();
  writes = 0;
  failWrites = false;
  private rv = 1;
  put(object: FlyteObject): FlyteObject {
    const stored = structuredClone({ ...object, metadata: { ...object.metadata, resourceVersion: String(this.rv++) } });
    this.objects.set(`${object.metadata.namespace ?? 'default'}/${object.metadata.name}`, stored);
    return stored;
  }
  get(namespace: string, name: string): Promise<FlyteObject | undefined> {
    return Promise.resolve(this.objects.get(`${namespace}/${name}`));
  }
  replace(object: FlyteObject): Promise<FlyteObject> {
    if (this.failWrites) return Promise.reject(new Error('replica killed before its status write'));
    const current = this.objects.get(`${object.metadata.namespace ?? 'default'}/${object.metadata.name}`);
    if (current?.metadata.resourceVersion !== object.metadata.resourceVersion)
      return Promise.reject(new KubeError('Conflict', 'the object has been modified', { status: 409 }));
    this.writes += 1;
    return Promise.resolve(this.put(object));
  }
}

/** Counts admin's answers by outcome, around the real client. */
class CountingRecorder implements AdminEventRecorder {
  readonly outcomes = new Map<string, number>();
  constructor(private readonly inner: AdminEventRecorder) {}
  async record(events: Parameters<AdminEventRecorder['record']>[0]): Promise<AdminResult[]> {
    const results = await this.inner.record(events);
    for (const r of results) this.outcomes.set(r.outcome, (this.outcomes.get(r.outcome) ?? 0) + 1);
    return results;
  }
}

function branchWorkflow(name: string): FlyteObject {
  const fw = fixture('b-branch.yaml') as unknown as FlyteObject & Record<string, unknown>;
  fw.metadata = { ...fw.metadata, name, uid: `uid-${name}` };
  fw['executionId'] = { project: 'flytesnacks', domain: 'development', name };
  fw['workflowMeta'] = { eventVersion: 2 };
  delete fw.status;
  return fw;
}

function runner(
  client: ObjectClient,
  recorder: AdminEventRecorder,
  options: { producerId?: string; dropped?: AdminResult[] } = {},
) {
  const driver = new EngineDriver({
    plugins: new PluginRegistry(flytePlugins({ store })),
    outputs: new MemoryOutputStore(),
  });
  return new FlyteRoundRunner({
    shard: 0,
    shardCount: 1,
    client,
    cache: { get: (key) => client.objects.get(key) },
    driver,
    store,
    admin: {
      recorder,
      retryMs: 50,
      ...(options.producerId ? { producerId: options.producerId } : {}),
      onDropped: (results) => options.dropped?.push(...results),
    },
  });
}

async function untilTerminal(run: () => Promise<FlyteRoundRun>, client: ObjectClient, key: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    await run();
    const phase = (client.objects.get(key)?.status as { phase?: number } | undefined)?.phase;
    if (phase === 5)
      throw new Error(
        `${key} failed: ${JSON.stringify((client.objects.get(key)?.status as { message?: string } | undefined)?.message)}`,
      );
    if (phase === 3 || phase === 5 || phase === 6) return phase;
  }
  throw new Error(`${key} did not finish in 20 rounds`);
}

const adminClient = (token = true) =>
  new AdminEventClient({
    endpoint: admin.address,
    insecure: true,
    ...(token ? { auth: { kind: 'token-file' as const, path: tokenFile } } : {}),
    callTimeoutMs: 2_000,
  });

describe('flyte round → FlyteAdmin', () => {
  test('a replica killed after sending its events: the next owner resends them and admin holds each once', async () => {
    const name = 'fkilled1';
    const client = new ObjectClient();
    client.put(branchWorkflow(name));
    const grpcClient = adminClient();
    try {
      const first = new CountingRecorder(grpcClient);
      client.failWrites = true;
      await assert.rejects(runner(client, first).run(flyteKey('flytesnacks-development', name)), /replica killed/);
      assert.equal(client.writes, 0);
      const sentBeforeKill = admin.records.events(`flytesnacks:development:${name}`).length;
      assert.ok(sentBeforeKill > 0, 'the first round sent its events before writing');

      client.failWrites = false;
      const second = new CountingRecorder(grpcClient);
      const phase = await untilTerminal(
        () => runner(client, second).run(flyteKey('flytesnacks-development', name)),
        client,
        `flytesnacks-development/${name}`,
      );
      assert.equal(phase, 3);
      // The first round had sent the workflow's whole life: the redone one adds nothing; admin
      // answers AlreadyExists for a phase it holds, and refuses earlier phases of ended entities.
      assert.equal(second.outcomes.get('recorded') ?? 0, 0);
      assert.ok((second.outcomes.get('duplicate') ?? 0) > 0, 'the redone round got AlreadyExists');
      assert.equal((second.outcomes.get('duplicate') ?? 0) + (second.outcomes.get('terminal') ?? 0), sentBeforeKill);
      const recorded = admin.records.events(`flytesnacks:development:${name}`);
      const identities = recorded.map((e) => `${e.kind}/${e.nodeId ?? ''}/${e.retryAttempt ?? ''}/${e.phase}`);
      assert.deepEqual(identities.length, new Set(identities).size, `stored once: ${identities.join(', ')}`);
      assert.deepEqual(
        recorded.filter((e) => e.kind === 'workflow').map((e) => e.phase),
        ['RUNNING', 'SUCCEEDING', 'SUCCEEDED'],
      );
    } finally {
      grpcClient.close();
    }
  });

  test('admin unreachable: the round writes nothing and comes back', async () => {
    const name = 'fdown1';
    const client = new ObjectClient();
    client.put(branchWorkflow(name));
    const down = new AdminEventClient({ endpoint: '127.0.0.1:1', insecure: true, callTimeoutMs: 500 });
    try {
      const run = await runner(client, down).run(flyteKey('flytesnacks-development', name));
      assert.deepEqual(run, { outcome: 'requeue', requeueAfterMs: 50 });
      assert.equal(client.writes, 0);
    } finally {
      down.close();
    }
  });

  test('without the token admin refuses every call and nothing is written', async () => {
    const name = 'fnotoken1';
    const client = new ObjectClient();
    client.put(branchWorkflow(name));
    const anonymous = adminClient(false);
    try {
      const run = await runner(client, anonymous).run(flyteKey('flytesnacks-development', name));
      assert.equal(run.outcome, 'requeue');
      assert.equal(client.writes, 0);
      assert.equal(admin.records.events(`flytesnacks:development:${name}`).length, 0);
    } finally {
      anonymous.close();
    }
  });

  test('admin holds the execution as ended: the workflow is failed, once, and not retried', async () => {
    const name = 'fended1';
    const client = new ObjectClient();
    client.put(branchWorkflow(name));
    const aborted = WorkflowExecutionEvent.fromJSON({
      executionId: { project: 'flytesnacks', domain: 'development', name },
      phase: 'ABORTED',
      occurredAt: '2026-01-01T00:00:00Z',
    });
    assert.equal(admin.records.workflowEvent('abort', aborted), undefined);
    const grpcClient = adminClient();
    try {
      const run = await runner(client, grpcClient).run(flyteKey('flytesnacks-development', name));
      assert.equal(run.outcome, 'invalid');
      const status = client.objects.get(`flytesnacks-development/${name}`)?.status as
        { phase?: number; message?: string; error?: { code?: string } } | undefined;
      assert.equal(status?.phase, 5);
      assert.equal(status?.error?.code, 'EventAlreadyInTerminalStateError');
      assert.match(status?.message ?? '', /state mismatch/);
      const writes = client.writes;
      await runner(client, grpcClient).run(flyteKey('flytesnacks-development', name));
      assert.equal(client.writes, writes, 'a failed workflow is not run again');
    } finally {
      grpcClient.close();
    }
  });

  test('admin says another cluster runs the execution: the workflow is failed as reassigned', async () => {
    const name = 'fcluster1';
    const client = new ObjectClient();
    client.put(branchWorkflow(name));
    admin.records.createExecution({ id: { project: 'flytesnacks', domain: 'development', name }, cluster: 'other' });
    const grpcClient = adminClient();
    try {
      await runner(client, grpcClient, { producerId: 'fleet-a' }).run(flyteKey('flytesnacks-development', name));
      const status = client.objects.get(`flytesnacks-development/${name}`)?.status as
        { phase?: number; error?: { code?: string } } | undefined;
      assert.equal(status?.phase, 5);
      assert.equal(status?.error?.code, 'EventIncompatibleClusterError');
    } finally {
      grpcClient.close();
    }
  });
});
