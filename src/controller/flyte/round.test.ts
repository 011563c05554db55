/**
 * The Flyte round with hand-written fakes (a client keeping objects by resourceVersion, a driver
 * that reports Running) and a file:// store in a temporary directory: invalid → Failed once with
 * an InvalidSpec Event and then never written again; a fenced round writes nothing; a 409 re-reads
 * and redoes; an object without shard-key gets the key FlyteAdmin would have written.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { DriverRoundResult } from '../../engine/driver.js';
import { KubeError } from '../../kube/errors.js';
import { flyteShardKey } from '../../flyte/shard.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { openBlobStore } from '../../storage/open.js';
import type { WorkflowEvent } from '../k8s-events.js';
import type { FlyteObject } from './client.js';
import { flyteKey } from './keys.js';
import { FlyteRoundRunner, type FlyteEventTarget } from './round.js';

const FIXTURE = new URL('../../../test/fixtures/flyte/a-container-chain.yaml', import.meta.url);

let dir: string;
let store: BlobStore;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-flyteround-'));
  store = await openBlobStore(`file://${join(dir, 'blobs')}`);
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

class FakeClient {
  readonly objects = new Map<string, FlyteObject>();
  writes: FlyteObject[] = [];
  conflicts = 0;
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
    const current = this.objects.get(`${object.metadata.namespace ?? 'default'}/${object.metadata.name}`);
    if (this.conflicts > 0 || current?.metadata.resourceVersion !== object.metadata.resourceVersion) {
      this.conflicts = Math.max(0, this.conflicts - 1);
      return Promise.reject(new KubeError('Conflict', 'the object has been modified', { status: 409 }));
    }
    this.writes.push(object);
    return Promise.resolve(this.put(object));
  }
}

const running: DriverRoundResult = {
  status: { phase: 'Running', startedAt: '2026-01-01T00:00:00Z' },
  events: [],
  passes: 1,
  changed: true,
  errors: [],
  started: [],
  requeueAfterMs: 1000,
};

async function chain(name: string): Promise<FlyteObject> {
  const fw = parse(await readFile(FIXTURE, 'utf8')) as FlyteObject;
  fw.metadata = { ...fw.metadata, name };
  delete fw.status;
  return fw;
}

function setup(options: { canRun?: () => boolean } = {}) {
  const client = new FakeClient();
  const events: WorkflowEvent[] = [];
  let rounds = 0;
  const runner = new FlyteRoundRunner({
    shard: 0,
    shardCount: 1,
    client,
    cache: { get: (key) => client.objects.get(key) },
    driver: {
      runRound: () => {
        rounds += 1;
        return Promise.resolve(running);
      },
    },
    store,
    recorder: {
      record: (_target: FlyteEventTarget, event: WorkflowEvent) => {
        events.push(event);
        return Promise.resolve();
      },
    },
    ...(options.canRun ? { canRun: options.canRun } : {}),
    clock: () => Date.parse('2026-01-01T10:30:00Z'),
  });
  return { client, events, runner, rounds: () => rounds };
}

test('an invalid FlyteWorkflow is Failed once with an InvalidSpec Event, then never written again', async () => {
  const { client, events, runner, rounds } = setup();
  const bad = await chain('bad');
  (bad['spec'] as { nodes: Record<string, { kind: string }> }).nodes['n1']!.kind = 'teleport';
  const stored = client.put(bad);
  const first = await runner.run(flyteKey(stored.metadata.namespace ?? 'default', 'bad'));
  assert.equal(first.outcome, 'invalid');
  assert.equal(first.requeueAfterMs, undefined);
  assert.equal(client.writes.length, 1);
  const written = client.writes[0]!;
  assert.equal((written.status as { phase: number }).phase, 5);
  assert.match((written.status as { message: string }).message, /^invalid workflow: .*n1/);
  assert.equal(written.metadata.labels?.['termination-status'], 'terminated');
  assert.equal(written.metadata.labels?.['completed-time'], '2026-01-01.10');
  assert.ok(!(written.metadata.finalizers ?? []).includes('flyte.org/finalizer'));
  assert.deepEqual(
    events.map((e) => e.reason),
    ['InvalidSpec'],
  );
  const again = await runner.run(flyteKey(stored.metadata.namespace ?? 'default', 'bad'));
  assert.equal(again.requeueAfterMs, undefined);
  assert.equal(client.writes.length, 1, 'no second write');
  assert.equal(rounds(), 0, 'the engine never ran');
});

test('a fenced round writes nothing', async () => {
  const { client, runner } = setup({ canRun: () => false });
  const stored = client.put(await chain('fenced'));
  const run = await runner.run(flyteKey(stored.metadata.namespace ?? 'default', 'fenced'));
  assert.equal(run.outcome, 'fenced');
  assert.equal(client.writes.length, 0);
});

test('a 409 re-reads and redoes the round; the status keeps the engine state and the shard label', async () => {
  const { client, runner, rounds } = setup();
  const stored = client.put(await chain('conflicted'));
  client.conflicts = 1;
  const run = await runner.run(flyteKey(stored.metadata.namespace ?? 'default', 'conflicted'));
  assert.equal(run.outcome, 'requeue');
  assert.equal(run.requeueAfterMs, 1000);
  assert.equal(rounds(), 2);
  assert.equal(client.writes.length, 1);
  const status = client.writes[0]!.status as { phase: number; flotilla?: { engine: { phase: string } } };
  assert.equal(status.phase, 1);
  assert.equal(status.flotilla?.engine.phase, 'Running');
  assert.equal(client.writes[0]!.metadata.labels?.['flotilla.io/shard'], '0');
});

test('an object without shard-key gets the key FlyteAdmin would have written', async () => {
  const { client, runner } = setup();
  const fw = await chain('nokey');
  delete fw.metadata.labels?.['shard-key'];
  const labels = fw.metadata.labels ?? {};
  const stored = client.put(fw);
  await runner.run(flyteKey(stored.metadata.namespace ?? 'default', 'nokey'));
  assert.equal(
    client.writes[0]!.metadata.labels?.['shard-key'],
    String(flyteShardKey(labels['execution-id'] ?? 'nokey')),
  );
});
