import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PluginError } from './errors.js';
import { inProcessPlugins } from '../plugins/inprocess/index.js';
import { PluginRegistry } from './plugin-registry.js';
import type { TaskContext } from './plugins.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const ctx = (plugin: string, config: Record<string, number | string>, attempt = 1): TaskContext => ({
  workflow: { namespace: 'n', name: 'w', uid: 'u' },
  nodeId: 'x',
  attempt,
  taskName: 't',
  task: { plugin, config },
  inputs: { a: 1 },
  attemptStartedAt: new Date(T0).toISOString(),
});

describe('plugin registry and in-process plugins', () => {
  test('names are unique', () => {
    const registry = new PluginRegistry(inProcessPlugins());
    assert.deepEqual(registry.names(), ['echo', 'flaky', 'sleep']);
    assert.throws(
      () => registry.register(inProcessPlugins()[0] as never),
      (e) => e instanceof PluginError && e.code === 'DuplicatePlugin',
    );
  });
  test('echo returns its inputs; flaky fails first attempts; sleep waits on the injected clock', async () => {
    let now = T0;
    const registry = new PluginRegistry(inProcessPlugins({ clock: () => now }));
    assert.deepEqual(await registry.get('echo')?.start(ctx('echo', {})), { phase: 'Succeeded', outputs: { a: 1 } });
    const flaky = registry.get('flaky');
    const first = await flaky?.start(ctx('flaky', { failAttempts: 2 }, 2));
    assert.equal(first?.phase === 'Failed' && first.failure.kind, 'user');
    assert.deepEqual(await flaky?.start(ctx('flaky', { failAttempts: 2 }, 3)), {
      phase: 'Succeeded',
      outputs: { a: 1 },
    });
    const sleep = registry.get('sleep');
    const running = await sleep?.start(ctx('sleep', { duration: '90s' }));
    assert.equal(running?.phase === 'Running' && running.checkAfterMs, 90_000);
    now = T0 + 90_000;
    assert.deepEqual(await sleep?.check(ctx('sleep', { duration: '90s' })), { phase: 'Succeeded', outputs: { a: 1 } });
    const bad = await sleep?.start(ctx('sleep', { duration: 'soon' }));
    assert.equal(bad?.phase === 'Failed' && bad.failure.retryable, false);
  });
});
