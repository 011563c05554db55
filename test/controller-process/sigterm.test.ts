/**
 * Stopping the controller process: SIGTERM mid-run exits 0 after its rounds in flight finished (the
 * ownership audit shows every start closed), and a fresh replica finishes the work without creating
 * any Pod twice; the fresh one runs with `--workflow-ttl` and deletes completed workflows once the
 * TTL passed. SIGKILL mid-round leaves the round visible in the audit (a start with no end).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  getWorkflow,
  podCreates,
  readAudit,
  spawnController,
  startControllerEnv,
  submit,
  waitTerminal,
  workflow,
  type AuditedRound,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const podTask = (duration: string, message: Record<string, unknown>) => ({
  plugin: 'pod',
  pod: {
    image: 'busybox',
    annotations: { 'flotilla.io/sim-duration': duration, 'flotilla.io/sim-message': JSON.stringify(message) },
  },
});

const slowChain = {
  tasks: { a: podTask('1s', { x: 1 }), b: podTask('1s', { y: 2 }), c: podTask('500ms', { z: 3 }) },
  nodes: [
    { id: 'one', kind: 'task', task: 'a' },
    { id: 'two', kind: 'task', task: 'b', dependsOn: ['one'] },
    { id: 'three', kind: 'task', task: 'c', dependsOn: ['two'] },
  ],
  outputs: { z: { fromNode: 'three', output: 'z' } },
};

/** Keys whose last `start` has no `end` after it. */
function openRounds(records: AuditedRound[]): string[] {
  const open = new Map<string, number>();
  for (const r of records)
    open.set(`${r.shard}:${r.key}`, (open.get(`${r.shard}:${r.key}`) ?? 0) + (r.t === 'start' ? 1 : -1));
  return [...open].filter(([, n]) => n > 0).map(([key]) => key);
}

describe('controller process stop', () => {
  let env: ControllerEnv;
  let dir: string;
  const spawned: ControllerProcessHandle[] = [];

  before(async () => {
    env = await startControllerEnv();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-ctl-'));
  });
  after(async () => {
    env?.api.server.faults.clear();
    for (const c of spawned) await c.stop('SIGKILL');
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('SIGTERM mid-run: exit 0, rounds closed; a fresh replica finishes the work; the TTL deletes completed workflows', async () => {
    const auditA = join(dir, 'a.jsonl');
    const first = await spawnController({
      id: 'r-first',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--shard-count', '1', '--audit-log', auditA],
    });
    spawned.push(first);
    const names = Array.from({ length: 6 }, (_, i) => `term-${i}`);
    await Promise.all(names.map((name) => submit(env, workflow(name, slowChain))));
    await waitFor(async () => (await getWorkflow(env, 'term-5'))?.status?.phase === 'Running', {
      what: 'term-5 running',
      timeoutMs: 20_000,
    });
    const code = await first.stop('SIGTERM', 30_000);
    assert.equal(code, 0, `exit code (stderr: ${first.stderr().slice(-1000)})`);
    const recordsA = readAudit(auditA);
    assert.ok(recordsA.length > 0, 'rounds were audited');
    assert.deepEqual(openRounds(recordsA), [], 'every round started before SIGTERM ended');
    const unfinished = [];
    for (const name of names)
      if (!['Succeeded', 'Failed'].includes((await getWorkflow(env, name))?.status?.phase ?? '')) unfinished.push(name);
    assert.ok(unfinished.length > 0, 'the stop really was mid-run');

    const auditB = join(dir, 'b.jsonl');
    const second = await spawnController({
      id: 'r-second',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--shard-count', '1', '--audit-log', auditB, '--workflow-ttl', '4s'],
    });
    spawned.push(second);
    const finished = await Promise.all(names.map((name) => waitTerminal(env, name, 45_000)));
    for (const done of finished) {
      assert.equal(done.status?.phase, 'Succeeded', `${done.metadata.name}: ${done.status?.message ?? ''}`);
      assert.deepEqual(done.status?.outputs, { z: 3 });
    }
    const creates = [...podCreates(env)].filter(([name]) => name.startsWith('default/term-'));
    assert.equal(creates.length, 18);
    for (const [name, count] of creates) assert.equal(count, 1, `${name} created ${count} times`);
    const lastEndA = Math.max(...recordsA.map((r) => r.at));
    assert.ok(
      readAudit(auditB).every((r) => r.at >= lastEndA),
      'the fresh replica started no round before the first had stopped',
    );
    // The TTL: completed workflows go once finishedAt + 4 s has passed.
    await waitFor(
      async () => (await Promise.all(names.map((name) => getWorkflow(env, name)))).every((w) => w === undefined),
      { what: 'completed workflows deleted after the TTL', timeoutMs: 30_000 },
    );
    assert.equal(await second.stop('SIGTERM'), 0);
  });

  test('SIGKILL mid-round: the audit still shows the round (a start with no end)', async () => {
    const audit = join(dir, 'killed.jsonl');
    const victim = await spawnController({
      id: 'r-killed',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--shard-count', '1', '--audit-log', audit],
    });
    spawned.push(victim);
    // Every API answer takes 2 s, so a round (read-through, writes) stays open long enough.
    env.api.server.faults.latency({ ms: 2000 });
    try {
      await submit(env, workflow('killed', slowChain));
      await waitFor(() => openRounds(readAudit(audit)).length > 0, { what: 'a round open', timeoutMs: 20_000 });
      assert.equal(await victim.stop('SIGKILL'), null);
    } finally {
      env.api.server.faults.clear();
    }
    assert.deepEqual(openRounds(readAudit(audit)), ['0:default/killed']);
  });
});
