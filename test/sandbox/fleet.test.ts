/**
 * The whole sandbox as a real process from a clean state dir: the manager and three replicas as
 * separate processes run every example to its expected phase; `sandbox.json` names live PIDs and
 * endpoints that answer; SIGINT stops everything (every PID of sandbox.json, and every process of
 * their process groups, is gone) and exits 0.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kubectl } from '../support/kubectl.js';
import { waitFor } from '../support/wait.js';
import type { SandboxState } from '../../sandbox/state.js';
import { alive, groupMembers, killRun, runSandbox, type SandboxRun } from './process.js';

const examplesDir = resolve(import.meta.dirname, '../../examples');

function answers(address: string): Promise<boolean> {
  const [host = '127.0.0.1', port = '0'] = address.split(/:(?=\d+$)/);
  return new Promise((res) => {
    const socket = connect(Number(port), host, () => {
      socket.end();
      res(true);
    });
    socket.on('error', () => res(false));
  });
}

describe('flotilla sandbox (the whole fleet)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'flotilla-fleet-'));
  const runs: SandboxRun[] = [];
  after(async () => {
    for (const run of runs) await killRun(run);
    rmSync(cwd, { recursive: true, force: true });
  });

  test('every example reaches its expected phase; sandbox.json is right; SIGINT leaves no process behind', async () => {
    const stateDir = join(cwd, 'state');
    const run = runSandbox(['--state-dir', stateDir, '--no-ui', '--replicas', '3', '--shards', '8'], cwd);
    runs.push(run);
    await waitFor(() => run.output().includes('flotilla sandbox is up'), {
      what: `the banner in: ${run.output()}`,
      timeoutMs: 60_000,
    });
    const out = run.output();
    assert.match(out, /kubectl --kubeconfig \S+ get wf -A/);
    assert.match(out, /npx shardctl status/);
    assert.match(out, /npx shardctl move/);
    assert.match(out, /npx flotilla signal default\/gates threshold 0\.75/);

    // sandbox.json: endpoints that answer, PIDs that are alive
    const state = JSON.parse(readFileSync(join(stateDir, 'sandbox.json'), 'utf8')) as SandboxState;
    assert.equal(state.apiServer.kubeconfig, join(stateDir, 'kubeconfig'));
    assert.match(state.apiServer.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(state.redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(state.eventSink && state.agent && state.manager, JSON.stringify(state));
    assert.deepEqual(
      state.replicas.map((r) => r.name),
      ['replica-1', 'replica-2', 'replica-3'],
    );
    const pids = [
      state.redis.pid,
      state.eventSink.pid,
      state.agent.pid,
      state.manager.pid,
      ...state.replicas.map((r) => r.pid),
    ].filter((p): p is number => typeof p === 'number');
    assert.equal(pids.length, 7);
    for (const pid of pids) assert.ok(alive(pid), `pid ${pid} is alive`);
    assert.ok(await answers(state.eventSink.address), 'the event sink answers');
    assert.ok(await answers(state.agent.address), 'the agent answers');
    assert.ok(await answers(state.redis.url.replace('redis://', '')), 'redis answers');
    for (const replica of state.replicas) {
      assert.ok(replica.metrics, `${replica.name} has a metrics URL`);
      const metrics = await fetch(`${replica.metrics}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /flotilla_/);
    }
    const ns = await kubectl(state.apiServer.kubeconfig, ['get', 'ns', '-o', 'name']);
    assert.match(ns.stdout, /^namespace\/flotilla-system$/m);

    // every example reaches its phase, except gates (a 10-minute sleep gate) and deadline (a
    // 1-minute activeDeadline: chaos.test.ts's 60 s run waits for it)
    const { loadExamples, hasLongSleepExample } = await loadHelpers();
    const examples = loadExamples(examplesDir).filter((e) => !hasLongSleepExample(e) && e.file !== 'deadline.yaml');
    assert.ok(examples.length >= 10);
    const phases = await waitFor(
      async () => {
        const got = await kubectl(state.apiServer.kubeconfig, ['get', 'wf', '-n', 'default', '-o', 'json']);
        const items = (
          JSON.parse(got.stdout) as { items: { metadata: { name: string }; status?: { phase?: string } }[] }
        ).items;
        const byName = new Map(items.map((w) => [w.metadata.name, w.status?.phase]));
        return examples.every((e) => byName.get(e.workflow.metadata.name) === e.expectedPhase) ? byName : undefined;
      },
      { what: 'every example in its expected phase', timeoutMs: 90_000, intervalMs: 1_000 },
    );
    for (const e of examples) assert.equal(phases.get(e.workflow.metadata.name), e.expectedPhase, e.file);
    // the gates example got its signals: it waits on its sleep gate, past the signal
    const gates = await kubectl(state.apiServer.kubeconfig, [
      'get',
      'wf',
      'gates',
      '-n',
      'default',
      '-o',
      'jsonpath={.status.nodes.threshold.phase}',
    ]);
    assert.equal(gates.stdout, 'Succeeded', gates.stderr);

    // shardctl sees the three replicas sharing the shards
    const status = await waitFor(
      async () => {
        const fleet = await kubectl(state.apiServer.kubeconfig, [
          'get',
          'leases',
          '-n',
          'flotilla-system',
          '-o',
          'json',
        ]);
        const leases = (
          JSON.parse(fleet.stdout) as { items: { metadata: { name: string }; spec?: { holderIdentity?: string } }[] }
        ).items;
        const holders = new Set(
          leases.filter((l) => l.metadata.name.startsWith('flotilla-shard-')).map((l) => l.spec?.holderIdentity),
        );
        return holders.size === 3 ? holders : undefined;
      },
      { what: 'three replicas holding shards', timeoutMs: 30_000, intervalMs: 500 },
    );
    assert.deepEqual([...status].sort(), ['replica-1', 'replica-2', 'replica-3']);

    run.child.kill('SIGINT');
    const { code, signal } = await run.exit;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, run.output());
    assert.match(run.output(), /sandbox stopped/);
    await waitFor(() => pids.every((p) => !alive(p) && groupMembers(p).length === 0), {
      what: `every started process gone (${pids.join(',')})`,
      timeoutMs: 10_000,
    });
    assert.equal(existsSync(join(stateDir, 'sandbox.json')), false, 'sandbox.json is removed on a clean stop');
  });
});

async function loadHelpers() {
  const { loadExamples } = await import('../../sandbox/examples.js');
  const { hasLongSleep } = await import('../../sandbox/session.js');
  return {
    loadExamples,
    hasLongSleepExample: (e: { workflow: { spec: unknown } }) => hasLongSleep(e.workflow.spec, 5 * 60_000),
  };
}
