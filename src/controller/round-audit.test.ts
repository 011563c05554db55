/**
 * What a round tells the ownership audit: its outcome (`conflict`, `skipped`, `fenced` only when
 * it wrote nothing) and, right after a status write succeeded, the task attempts that write
 * recorded as started. The fence is checked again before the status write and after a 409.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RoundRunner, type RoundOptions } from './round.js';
import { StatusConflictError } from '../kube/errors.js';
import { EngineDriver } from '../engine/driver.js';
import { MemoryOutputStore } from '../engine/outputs.js';
import type { StartedTask } from '../engine/driver.js';
import { PluginRegistry } from '../engine/plugin-registry.js';
import { inProcessPlugins } from '../plugins/inprocess/index.js';
import { validateWorkflow } from '../api/validation/index.js';
import type { WorkflowStatus } from '../api/status.js';
import type { Workflow } from '../api/workflow.js';

/** A status store with resourceVersion checks; `refuse` 409s the next writes; `log` keeps the order of events. */
class MemoryStore {
  readonly items = new Map<string, Workflow>();
  readonly log: string[] = [];
  refuse = 0;
  private version = 0;
  put(workflow: Workflow): void {
    this.items.set(`${workflow.metadata.namespace}/${workflow.metadata.name}`, {
      ...workflow,
      metadata: { ...workflow.metadata, resourceVersion: String(++this.version) },
    });
  }
  async read(key: string): Promise<Workflow | undefined> {
    return this.items.get(key);
  }
  async writeStatus(workflow: Workflow, status: WorkflowStatus): Promise<Workflow> {
    const key = `${workflow.metadata.namespace}/${workflow.metadata.name}`;
    const current = this.items.get(key);
    if (this.refuse > 0 || !current || current.metadata.resourceVersion !== workflow.metadata.resourceVersion) {
      this.refuse = Math.max(0, this.refuse - 1);
      this.log.push('write refused');
      throw new StatusConflictError(key, workflow.metadata.resourceVersion ?? '');
    }
    const next: Workflow = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: String(++this.version) },
      status: structuredClone(status),
    };
    this.items.set(key, next);
    this.log.push(`write ${status.phase ?? ''}`);
    return next;
  }
  noteWrite(): void {}
}

const workflow = (): Workflow => ({
  apiVersion: 'flotilla.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'wf', namespace: 'ns', uid: 'uid-1', generation: 1 },
  spec: {
    tasks: { t: { plugin: 'echo' } },
    nodes: [
      { id: 'a', kind: 'task', task: 't' },
      { id: 'b', kind: 'task', task: 't', dependsOn: ['a'] },
    ],
  },
});

function setup(options: Partial<RoundOptions> = {}) {
  const store = new MemoryStore();
  store.put(workflow());
  const started: { shard: number; key: string; tasks: readonly StartedTask[]; uid: string | undefined }[] = [];
  let rounds = 0;
  const engine = new EngineDriver({
    plugins: new PluginRegistry(inProcessPlugins()),
    outputs: new MemoryOutputStore(),
  });
  const runner = new RoundRunner({
    shard: 4,
    store,
    driver: {
      runRound: (wf, signal) => {
        rounds++;
        store.log.push('driver');
        return engine.runRound(wf, signal);
      },
    },
    validate: (input) => validateWorkflow(input),
    onTasksStarted: (shard, key, tasks, uid) => {
      store.log.push(`tasks ${tasks.map((t) => `${t.nodeId}#${t.attempt}`).join(',')}`);
      started.push({ shard, key, tasks, uid });
    },
    ...options,
  });
  return { store, runner, started, driverRuns: () => rounds };
}

describe('round outcome and task starts', () => {
  test('a round that throws after its lease check still hands its last proof to the caller', async () => {
    const { store, runner } = setup();
    const cut = new Error('connection reset (ECONNRESET) talking to the API server at 127.0.0.1:6443');
    store.writeStatus = async () => {
      throw cut;
    };
    const proof: { provenAt?: number } = {};
    const before = Date.now();
    await assert.rejects(runner.run('ns/wf', { proof }), cut);
    assert.ok(proof.provenAt !== undefined && proof.provenAt >= before && proof.provenAt <= Date.now());
  });

  test('a round turned away by the fence at once has no proof to hand over', async () => {
    const { runner } = setup({ canRun: () => false });
    const proof: { provenAt?: number } = {};
    assert.equal((await runner.run('ns/wf', { proof })).outcome, 'skipped');
    assert.equal(proof.provenAt, undefined);
  });

  test('the task starts are reported right after the status write that records them', async () => {
    const { store, runner, started } = setup();
    const run = await runner.run('ns/wf');
    assert.equal(run.outcome, 'success');
    assert.deepEqual(store.log, ['driver', 'write Succeeded', 'tasks a#1,b#1']);
    assert.deepEqual(started, [
      {
        shard: 4,
        key: 'ns/wf',
        uid: 'uid-1',
        tasks: [
          { nodeId: 'a', attempt: 1, plugin: 'echo' },
          { nodeId: 'b', attempt: 1, plugin: 'echo' },
        ],
      },
    ]);
    // The next round finds the workflow terminal: nothing written, nothing started.
    assert.equal((await runner.run('ns/wf')).outcome, 'skipped');
    assert.equal(started.length, 1);
  });

  test('a write refused with 409 reports nothing for that attempt; the redone round reports its own starts', async () => {
    const { store, runner, started } = setup();
    store.refuse = 1;
    const run = await runner.run('ns/wf');
    assert.equal(run.outcome, 'success');
    assert.deepEqual(store.log, ['driver', 'write refused', 'driver', 'write Succeeded', 'tasks a#1,b#1']);
    assert.equal(started.length, 1);
  });

  test('409s that persist: outcome conflict, nothing reported', async () => {
    const { store, runner, started } = setup({ maxConflictRetries: 2 });
    store.refuse = 10;
    const run = await runner.run('ns/wf');
    assert.equal(run.outcome, 'conflict');
    assert.equal(run.requeueAfterMs, 200);
    assert.deepEqual(started, []);
    assert.equal(store.items.get('ns/wf')?.status, undefined);
  });

  test('the lease lost during the round: no status write, outcome fenced', async () => {
    let owned = true;
    const { store, runner, started } = setup({ canRun: () => owned });
    const engine = new EngineDriver({
      plugins: new PluginRegistry(inProcessPlugins()),
      outputs: new MemoryOutputStore(),
    });
    const paused = new RoundRunner({
      shard: 4,
      store,
      driver: {
        runRound: async (wf) => {
          const result = await engine.runRound(wf);
          owned = false; // SIGSTOPped here; the lease expired meanwhile
          return result;
        },
      },
      validate: (input) => validateWorkflow(input),
      canRun: () => owned,
      onTasksStarted: () => assert.fail('nothing was committed'),
    });
    const run = await paused.run('ns/wf');
    assert.equal(run.outcome, 'fenced');
    // It comes back later: if the shard stays here (ownership was unproven only for a moment),
    // nothing else would bring the key back; if it goes, its queue drops the re-enqueue.
    assert.equal(run.requeueAfterMs, 1_000);
    assert.equal(store.items.get('ns/wf')?.status, undefined, 'no status written');
    assert.deepEqual(started, []);
    // And a round that starts without the lease is skipped, and comes back too.
    const skipped = await runner.run('ns/wf');
    assert.equal(skipped.outcome, 'skipped');
    assert.equal(skipped.requeueAfterMs, 1_000);
  });

  test('a 409 after the lease was lost: no retry over the new owner, outcome fenced', async () => {
    let owned = true;
    const { store, runner, started, driverRuns } = setup({
      canRun: () => owned,
    });
    store.refuse = 1;
    // The refused write is the new owner's doing: by then this replica has lost its lease.
    const original = store.writeStatus.bind(store);
    store.writeStatus = async (wf, status) => {
      if (store.refuse > 0) owned = false;
      return original(wf, status);
    };
    const run = await runner.run('ns/wf');
    assert.equal(run.outcome, 'fenced');
    assert.equal(driverRuns(), 1, 'the round was not redone');
    assert.deepEqual(started, []);
  });

  test('a terminal workflow whose events are delivered now: the flag write makes the outcome success (the metric stays skipped)', async () => {
    const { store, runner } = setup();
    const sink = { publish: () => undefined, flush: async () => true };
    await runner.run('ns/wf');
    assert.equal(store.items.get('ns/wf')?.status?.phase, 'Succeeded');
    // Its replica died before the sink confirmed: the next owner delivers them and writes the flag.
    const next = new RoundRunner({
      shard: 4,
      store,
      driver: { runRound: () => assert.fail('terminal: no driver') },
      validate: (input) => validateWorkflow(input),
      events: sink,
    });
    assert.equal((await next.run('ns/wf')).outcome, 'success', 'it wrote eventsDelivered');
    assert.equal(store.items.get('ns/wf')?.status?.eventsDelivered, true);
    assert.equal((await next.run('ns/wf')).outcome, 'skipped', 'nothing left to write');
  });
});
