/**
 * The agent task plugin against the real example notifier agent over gRPC on loopback:
 * success, user and system failures, UNAVAILABLE retries then a retryable error, resuming from
 * pluginState without re-creating, idempotent create, abort (DeleteTask and AbortSignal), and TLS
 * with a token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../../src/api/schema.js';
import type { TaskContext, TaskObservation } from '../../src/engine/plugins.js';
import { AgentError, createAgentPlugin, idempotencyKey, type AgentPlugin } from '../../src/plugins/agent/index.js';
import { startNotifierAgent, type RunningNotifierAgent } from '../../examples/agent/notifier-agent.js';
import { createCertificateAuthority, issueCertificate } from '../../src/security/certs.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

let uidSeq = 0;
function context(config: JsonObject, overrides: Partial<TaskContext> = {}): TaskContext {
  uidSeq += 1;
  return {
    workflow: { namespace: 'team-a', name: `wf-${uidSeq}`, uid: `uid-${uidSeq}` },
    nodeId: 'notify',
    attempt: 1,
    taskName: 'notify',
    task: { plugin: 'agent', agent: { service: 'notifier', config } },
    inputs: { message: 'etl finished' },
    attemptStartedAt: new Date().toISOString(),
    ...overrides,
  };
}

/** Drives start/check as the engine would, carrying pluginState between calls. */
async function runToEnd(plugin: AgentPlugin, ctx: TaskContext): Promise<TaskObservation> {
  let observation = await plugin.start(ctx);
  let state = observation.pluginState;
  for (let i = 0; i < 200 && (observation.phase === 'Queued' || observation.phase === 'Running'); i++) {
    await new Promise((r) => setTimeout(r, 25));
    observation = await plugin.check(state ? { ...ctx, pluginState: state } : ctx);
    state = observation.pluginState ?? state;
  }
  return observation;
}

describe('agent plugin with the notifier agent', () => {
  let agent: RunningNotifierAgent;
  let plugin: AgentPlugin;
  before(async () => {
    agent = await startNotifierAgent({ delayMs: 100 });
    plugin = createAgentPlugin({
      services: { notifier: { address: agent.address } },
      pollIntervalMs: 25,
      retryBaseMs: 20,
    });
  });
  after(async () => {
    plugin?.close();
    await agent?.stop();
  });

  test('success: outputs come back, and the agent saw one task', async () => {
    const before = agent.created();
    const result = await runToEnd(plugin, context({ channel: 'ops' }));
    assert.equal(result.phase, 'Succeeded');
    assert.deepEqual(result.phase === 'Succeeded' && result.outputs, {
      sent: true,
      channel: 'ops',
      message: 'etl finished',
      notificationId: 'uid-1/notify/1',
    });
    assert.equal(agent.created() - before, 1);
  });

  test('a failure the agent reports is a user failure; one it marks SYSTEM is a system failure', async () => {
    const user = await runToEnd(plugin, context({ fail: true }));
    assert.equal(user.phase, 'Failed');
    assert.deepEqual(user.phase === 'Failed' && { kind: user.failure.kind, reason: user.failure.reason }, {
      kind: 'user',
      reason: 'NotificationRejected',
    });
    const system = await runToEnd(plugin, context({ fail: true, failKind: 'system' }));
    assert.deepEqual(system.phase === 'Failed' && { kind: system.failure.kind, reason: system.failure.reason }, {
      kind: 'system',
      reason: 'NotifierDown',
    });
  });

  test('start is idempotent, and a restarted replica resumes from pluginState without re-creating', async () => {
    const ctx = context({ delayMs: 150 });
    const calls = agent.createCalls();
    const created = agent.created();
    const first = await plugin.start(ctx);
    const again = await plugin.start(ctx); // a repeated round that lost the first answer
    assert.equal(agent.created() - created, 1, 'one task for two CreateTask calls with one key');
    assert.deepEqual(again.pluginState, first.pluginState);
    // A new replica (new plugin instance, new channel) gets the stored pluginState.
    const replica = createAgentPlugin({ services: { notifier: { address: agent.address } }, pollIntervalMs: 25 });
    try {
      const resumed = await runToEnd(replica, { ...ctx, pluginState: first.pluginState! });
      assert.equal(resumed.phase, 'Succeeded');
      assert.equal(agent.createCalls() - calls, 2, 'the resumed replica never called CreateTask');
    } finally {
      replica.close();
    }
  });

  test('abort deletes the remote task (with or without resource meta), idempotently', async () => {
    const ctx = context({ delayMs: 60_000 });
    const started = await plugin.start(ctx);
    const withState = { ...ctx, pluginState: started.pluginState! };
    await plugin.abort(withState);
    await plugin.abort(withState);
    assert.equal(agent.isDeleted(idempotencyKey(ctx)), true);
    const after = await plugin.check(withState);
    assert.equal(after.phase, 'Failed');
    // The create answer was lost: abort still finds the task by its idempotency key.
    const lost = context({ delayMs: 60_000 });
    await plugin.start(lost);
    await plugin.abort(lost);
    assert.equal(agent.isDeleted(idempotencyKey(lost)), true);
    // Never started: abort is a no-op, not an error.
    await plugin.abort(context({}));
  });

  test('INTERNAL from the agent is a system failure', async () => {
    const result = await runToEnd(plugin, context({ crash: true }));
    assert.equal(result.phase, 'Failed');
    assert.deepEqual(result.phase === 'Failed' && [result.failure.kind, result.failure.reason], [
      'system',
      'AgentError',
    ]);
  });

  test('an unknown service is a non-retryable system failure', async () => {
    const result = await plugin.start(context({}, { task: { plugin: 'agent', agent: { service: 'pager' } } }));
    assert.equal(result.phase, 'Failed');
    assert.deepEqual(
      result.phase === 'Failed' && [result.failure.kind, result.failure.reason, result.failure.retryable],
      ['system', 'UnknownAgentService', false],
    );
  });
});

describe('agent plugin when the agent is unavailable', () => {
  test('UNAVAILABLE is retried inside the call, then a retryable AgentError; the next round succeeds', async () => {
    const port = await freePort();
    const plugin = createAgentPlugin({
      services: { notifier: { address: `127.0.0.1:${port}` } },
      unavailableRetries: 2,
      retryBaseMs: 20,
      callTimeoutMs: 1000,
      pollIntervalMs: 25,
    });
    let agent: RunningNotifierAgent | undefined;
    try {
      const ctx = context({ channel: 'ops' });
      await assert.rejects(
        plugin.start(ctx),
        (e: unknown) => e instanceof AgentError && e.code === 'Unavailable' && e.retryable,
      );
      agent = await startNotifierAgent({ port, delayMs: 50 });
      // The engine retries the round later; the channel reconnects with its own back-off.
      let rounds = 0;
      const started = await waitFor(
        async () => {
          rounds += 1;
          try {
            return await plugin.start(ctx);
          } catch (error) {
            assert.ok(error instanceof AgentError && error.retryable);
            return undefined;
          }
        },
        { timeoutMs: 20_000, intervalMs: 200, what: 'a round after the agent came up' },
      );
      assert.ok(rounds >= 1);
      const result = await runToEnd(plugin, { ...ctx, pluginState: started.pluginState! });
      assert.equal(result.phase, 'Succeeded');
      assert.equal(agent.created(), 1);
    } finally {
      plugin.close();
      await agent?.stop();
    }
  });

  test('an AbortSignal ends the retries at once with an aborted AgentError', async () => {
    const port = await freePort();
    const plugin = createAgentPlugin({
      services: { notifier: { address: `127.0.0.1:${port}` } },
      unavailableRetries: 50,
      retryBaseMs: 200,
    });
    try {
      const abort = new AbortController();
      const pending = plugin.start(context({}), abort.signal);
      setTimeout(() => abort.abort(), 100);
      await assert.rejects(pending, (e: unknown) => e instanceof AgentError && e.code === 'Aborted' && !e.retryable);
    } finally {
      plugin.close();
    }
  });

  test('an agent that stops mid-task: GetTask fails with a retryable error, then resumes', async () => {
    const port = await freePort();
    let agent = await startNotifierAgent({ port, delayMs: 50 });
    const plugin = createAgentPlugin({
      services: { notifier: { address: `127.0.0.1:${port}` } },
      unavailableRetries: 1,
      retryBaseMs: 10,
      callTimeoutMs: 1000,
    });
    try {
      const ctx = context({});
      const started = await plugin.start(ctx);
      await agent.stop();
      await assert.rejects(
        plugin.check({ ...ctx, pluginState: started.pluginState! }),
        (e: unknown) => e instanceof AgentError && e.retryable,
      );
      // This example agent keeps tasks in memory: after a restart it has lost the task.
      agent = await startNotifierAgent({ port, delayMs: 50 });
      const lost = await waitFor(
        async () => {
          try {
            return await plugin.check({ ...ctx, pluginState: started.pluginState! });
          } catch {
            return undefined;
          }
        },
        { what: 'GetTask after the agent restarted' },
      );
      assert.equal(lost.phase, 'Failed');
      assert.deepEqual(lost.phase === 'Failed' && [lost.failure.kind, lost.failure.reason], [
        'system',
        'AgentLostTask',
      ]);
    } finally {
      plugin.close();
      await agent.stop();
    }
  });
});

describe('agent plugin over TLS with a token', () => {
  test('the right CA and token succeed; a wrong token is a non-retryable system failure', async () => {
    const ca = await createCertificateAuthority({ commonName: 'agent-ca' });
    const server = await issueCertificate(ca, { commonName: 'notifier', ipAddresses: ['127.0.0.1'], usage: 'server' });
    const agent = await startNotifierAgent({ delayMs: 20, security: { tls: server, token: 'agent-token-1' } });
    const good = createAgentPlugin({
      services: { notifier: { address: agent.address, tls: { caPem: ca.certPem }, token: 'agent-token-1' } },
      pollIntervalMs: 25,
    });
    const bad = createAgentPlugin({
      services: { notifier: { address: agent.address, tls: { caPem: ca.certPem }, token: 'nope' } },
    });
    try {
      assert.equal((await runToEnd(good, context({}))).phase, 'Succeeded');
      const denied = await bad.start(context({}));
      assert.deepEqual(
        denied.phase === 'Failed' && [denied.failure.kind, denied.failure.reason, denied.failure.retryable],
        ['system', 'AgentPermissionDenied', false],
      );
    } finally {
      good.close();
      bad.close();
      await agent.stop();
    }
  });
});
