/**
 * The deferred abort finalizer: a workflow of in-process tasks that ends within its first round is
 * never given the finalizer (no add, no release); one that is still running after the round gets it
 * before its status is written; without `deferFinalizer` every running workflow gets it first.
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
import type { WorkflowStatus } from '../api/status.js';
import type { Workflow } from '../api/workflow.js';
import type { WorkflowSpec } from '../api/schema.js';

/** One object store behind both the status writes and the finalizer patches, with a write log. */
class MemoryApi {
  readonly items = new Map<string, Workflow>();
  readonly log: string[] = [];
  private version = 0;
  put(workflow: Workflow): void {
    this.items.set(keyOf(workflow), {
      ...workflow,
      metadata: { ...workflow.metadata, resourceVersion: String(++this.version) },
    });
  }
  async read(key: string): Promise<Workflow | undefined> {
    return this.items.get(key);
  }
  async writeStatus(workflow: Workflow, status: WorkflowStatus): Promise<Workflow> {
    const current = this.current(workflow);
    this.log.push(`status ${status.phase ?? ''}`);
    return this.store({ ...current, status: structuredClone(status) });
  }
  async mergePatch(namespace: string, name: string, patch: Record<string, unknown>): Promise<Workflow> {
    const metadata = patch.metadata as { finalizers: string[]; resourceVersion: string };
    const current = this.current({
      metadata: { namespace, name, resourceVersion: metadata.resourceVersion },
    } as Workflow);
    this.log.push(`finalizers [${metadata.finalizers.join(',')}]`);
    return this.store({ ...current, metadata: { ...current.metadata, finalizers: metadata.finalizers } });
  }
  noteWrite(): void {}
  private current(workflow: Pick<Workflow, 'metadata'>): Workflow {
    const current = this.items.get(keyOf(workflow));
    if (!current || current.metadata.resourceVersion !== workflow.metadata.resourceVersion)
      throw new StatusConflictError(keyOf(workflow), workflow.metadata.resourceVersion ?? '');
    return current;
  }
  private store(next: Workflow): Workflow {
    const stored = { ...next, metadata: { ...next.metadata, resourceVersion: String(++this.version) } };
    this.items.set(keyOf(stored), stored);
    return stored;
  }
}

const keyOf = (workflow: Pick<Workflow, 'metadata'>): string =>
  `${workflow.metadata.namespace}/${workflow.metadata.name}`;

const workflow = (spec: WorkflowSpec): Workflow => ({
  apiVersion: 'flotilla.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'wf', namespace: 'ns', uid: 'uid-1', generation: 1 },
  spec,
});
const echoChain: WorkflowSpec = {
  tasks: { t: { plugin: 'echo' } },
  nodes: [
    { id: 'a', kind: 'task', task: 't' },
    { id: 'b', kind: 'task', task: 't', dependsOn: ['a'] },
  ],
};
const napping: WorkflowSpec = {
  tasks: { s: { plugin: 'sleep', config: { duration: '1h' } } },
  nodes: [{ id: 'a', kind: 'task', task: 's' }],
};

function runner(api: MemoryApi, defer: boolean): RoundRunner {
  const driver = new EngineDriver({
    plugins: new PluginRegistry(inProcessPlugins()),
    outputs: new MemoryOutputStore(),
  });
  return new RoundRunner({
    shard: 0,
    store: api,
    finalizers: api,
    driver,
    validate: (input) => validateWorkflow(input),
    ...(defer ? { deferFinalizer: () => true } : {}),
  });
}

describe('deferred abort finalizer', () => {
  test('a workflow done within its first round is never given the finalizer', async () => {
    const api = new MemoryApi();
    api.put(workflow(echoChain));
    await runner(api, true).run('ns/wf');
    assert.deepEqual(api.log, ['status Succeeded']);
    assert.deepEqual(api.items.get('ns/wf')?.metadata.finalizers ?? [], []);
  });

  test('a workflow still running after the round gets it before its status', async () => {
    const api = new MemoryApi();
    api.put(workflow(napping));
    await runner(api, true).run('ns/wf');
    assert.deepEqual(api.log, ['finalizers [flotilla.io/abort]', 'status Running']);
    assert.deepEqual(api.items.get('ns/wf')?.metadata.finalizers, ['flotilla.io/abort']);
  });

  test('without deferFinalizer the finalizer comes first and goes at the end', async () => {
    const api = new MemoryApi();
    api.put(workflow(echoChain));
    await runner(api, false).run('ns/wf');
    assert.deepEqual(api.log, ['finalizers [flotilla.io/abort]', 'status Succeeded', 'finalizers []']);
  });
});
