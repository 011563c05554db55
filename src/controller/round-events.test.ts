/**
 * Terminal execution events are delivered at least once: confirmed before the terminal status is
 * written, and re-sent by whichever replica next sees a terminal Workflow the sink never confirmed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RoundRunner } from './round.js';
import { StatusConflictError } from '../kube/errors.js';
import { EngineDriver } from '../engine/driver.js';
import { MemoryOutputStore } from '../engine/outputs.js';
import { PluginRegistry } from '../engine/plugin-registry.js';
import { inProcessPlugins } from '../plugins/inprocess/index.js';
import { validateWorkflow } from '../api/validation/index.js';
import { isTerminalWorkflowPhase, type WorkflowStatus } from '../api/status.js';
import type { Workflow } from '../api/workflow.js';
import type { ExecutionEvent } from '../engine/events.js';
import { terminalEventsOf } from '../engine/terminal-events.js';

class MemoryStore {
  readonly items = new Map<string, Workflow>();
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
    if (!current || current.metadata.resourceVersion !== workflow.metadata.resourceVersion)
      throw new StatusConflictError(key, workflow.metadata.resourceVersion ?? '');
    const next: Workflow = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: String(++this.version) },
      status: structuredClone(status),
    };
    this.items.set(key, next);
    return next;
  }
  noteWrite(): void {}
}

/** A sink that can be told to stop confirming, like one that is down. */
class ScriptedSink {
  readonly delivered = new Map<string, ExecutionEvent>();
  private buffer: ExecutionEvent[] = [];
  up = true;
  publish(event: ExecutionEvent): void {
    this.buffer.push(event);
  }
  async flush(): Promise<boolean> {
    if (!this.up) return false;
    for (const event of this.buffer) if (!this.delivered.has(event.id)) this.delivered.set(event.id, event);
    this.buffer = [];
    return true;
  }
  /** What a crash loses: everything published but not yet delivered. */
  crash(): void {
    this.buffer = [];
  }
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

function runner(store: MemoryStore, sink: ScriptedSink): RoundRunner {
  const driver = new EngineDriver({
    plugins: new PluginRegistry(inProcessPlugins()),
    outputs: new MemoryOutputStore(),
  });
  return new RoundRunner({
    shard: 0,
    store,
    driver,
    validate: (input) => validateWorkflow(input),
    events: sink,
    eventRetryMs: 10,
  });
}

async function runToEnd(r: RoundRunner, store: MemoryStore): Promise<Workflow> {
  for (let i = 0; i < 20; i++) {
    await r.run('ns/wf');
    const current = store.items.get('ns/wf');
    if (current && isTerminalWorkflowPhase(current.status?.phase) && current.status?.eventsDelivered) return current;
  }
  const current = store.items.get('ns/wf');
  assert.ok(current);
  return current;
}

describe('terminal execution events', () => {
  test('the terminal round confirms its events before writing the status, and marks them delivered', async () => {
    const store = new MemoryStore();
    const sink = new ScriptedSink();
    store.put(workflow());
    const done = await runToEnd(runner(store, sink), store);
    assert.equal(done.status?.phase, 'Succeeded');
    assert.equal(done.status?.eventsDelivered, true);
    assert.ok(sink.delivered.has('uid-1/wf/Succeeded'));
  });

  test('a replica that died after the terminal write: the next one re-sends the lost events once', async () => {
    const store = new MemoryStore();
    const sink = new ScriptedSink();
    store.put(workflow());
    // The sink is down during the terminal round: the status is written without the flag ...
    sink.up = false;
    const first = runner(store, sink);
    for (let i = 0; i < 10 && !isTerminalWorkflowPhase(store.items.get('ns/wf')?.status?.phase); i++)
      await first.run('ns/wf');
    const terminal = store.items.get('ns/wf');
    assert.equal(terminal?.status?.phase, 'Succeeded');
    assert.notEqual(terminal?.status?.eventsDelivered, true);
    // ... and the replica dies with the events still buffered.
    sink.crash();
    assert.ok(!sink.delivered.has('uid-1/wf/Succeeded'));
    // While the sink stays down, the new owner keeps the workflow queued instead of forgetting it.
    const second = runner(store, sink);
    const waiting = await second.run('ns/wf');
    assert.equal(waiting.requeueAfterMs, 10);
    sink.up = true;
    const done = await runToEnd(second, store);
    assert.equal(done.status?.eventsDelivered, true);
    const ids = [...sink.delivered.keys()];
    assert.deepEqual(ids.slice(-1), ['uid-1/wf/Succeeded'], 'the workflow event comes last');
    assert.ok(ids.includes('uid-1/node/a/Succeeded') && ids.includes('uid-1/node/b/Succeeded'));
    // Once delivered, later rounds send nothing more.
    const before = sink.delivered.size;
    await second.run('ns/wf');
    assert.equal(sink.delivered.size, before);
  });

  test('terminalEventsOf is empty for a running workflow and ends with the workflow phase', () => {
    assert.deepEqual(terminalEventsOf(workflow()), []);
    const failed: Workflow = {
      ...workflow(),
      status: {
        phase: 'Failed',
        finishedAt: '2026-11-25T00:00:00.000Z',
        nodes: {
          a: { phase: 'Failed', finishedAt: '2026-11-25T00:00:00.000Z' },
          b: { phase: 'Skipped' },
          c: { phase: 'Running' },
        },
      },
    };
    assert.deepEqual(
      terminalEventsOf(failed).map((e) => e.id),
      ['uid-1/node/a/Failed', 'uid-1/node/b/Skipped', 'uid-1/wf/Failed'],
    );
  });
});
