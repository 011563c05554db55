/**
 * The controller's audit file (`--audit-log`) from a real process: every round has a `start` and
 * an `end` with its outcome, and a task attempt gets its `task` line only after the status write
 * that records it as started succeeded. A status write refused with 409 (forced) makes the round
 * start the pod task again (the pod create answers AlreadyExists): that first, uncommitted start
 * leaves no line, so every attempt has exactly one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkInvariants } from '../../sandbox/invariants.js';
import {
  getWorkflow,
  readReplicaAudit,
  spawnController,
  startControllerEnv,
  submit,
  waitTerminal,
  workflow,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const spec = {
  tasks: {
    pod: {
      plugin: 'pod',
      pod: {
        image: 'busybox',
        annotations: { 'flotilla.io/sim-duration': '200ms', 'flotilla.io/sim-message': '{"n":1}' },
      },
    },
    say: { plugin: 'echo' },
    shaky: { plugin: 'flaky', retries: 1, config: { failAttempts: 1 } },
  },
  nodes: [
    { id: 'pause', kind: 'gate', gate: { sleep: '3s' } },
    { id: 'run', kind: 'task', task: 'pod', dependsOn: ['pause'] },
    { id: 'say', kind: 'task', task: 'say', dependsOn: ['run'], inputs: { n: { fromNode: 'run', output: 'n' } } },
    { id: 'retry', kind: 'task', task: 'shaky', dependsOn: ['run'], inputs: { x: { value: 1 } } },
  ],
};

const ms = (at: number | string) => (typeof at === 'number' ? at : Date.parse(at));

describe('controller audit file', { timeout: 90_000 }, () => {
  let env: ControllerEnv;
  let dir: string;
  let controller: ControllerProcessHandle | undefined;

  before(async () => {
    env = await startControllerEnv();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-audit-'));
  });
  after(async () => {
    env?.api.server.faults.clear();
    await controller?.stop('SIGKILL');
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('task lines come after the status write that records them; a start whose write got 409 has none', async () => {
    const audit = join(dir, 'r1.jsonl');
    controller = await spawnController({
      id: 'r1',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--shard-count', '1', '--audit-log', audit],
    });
    const created = await submit(env, workflow('gated', spec));
    // Finalizer added and first status written; the gate holds the tasks back for 3 s.
    await waitFor(async () => (await getWorkflow(env, 'gated'))?.status?.phase === 'Running', {
      what: 'gated running',
      timeoutMs: 20_000,
    });
    // The next write to it is the status write of the round that starts the pod task: refuse it once.
    env.api.server.faults.conflicts({ resource: 'workflows', count: 1, namespace: 'default', name: 'gated' });
    const done = await waitTerminal(env, 'gated', 40_000);
    assert.equal(done.status?.phase, 'Succeeded', done.status?.message);
    // SIGTERM: rounds in flight finish, so every round in the file has its end.
    assert.equal(await controller.stop('SIGTERM'), 0);

    const writes = env.api.server.faults.audit({ resource: 'workflows', namespace: 'default', name: 'gated' });
    const refused = writes.filter((w) => w.code === 409);
    assert.equal(refused.length, 1, 'one status write refused');
    const refusedAt = Date.parse(refused[0]?.time ?? '');
    const committedAt = Date.parse(
      writes.find((w) => w.code < 300 && Date.parse(w.time) >= refusedAt && w !== refused[0])?.time ?? '',
    );
    assert.ok(Number.isFinite(committedAt), 'a status write landed after the refused one');
    const pod = env.api.server.faults
      .audit({ resource: 'pods', verb: 'create' })
      .filter((e) => e.name.startsWith('gated-run-'));
    assert.deepEqual(
      pod.map((e) => e.code),
      [201, 409],
      'the round started the pod task twice: before the 409 and after re-reading',
    );

    const { ownership, taskStarts } = readReplicaAudit(audit);
    const mine = taskStarts.filter((t) => t.key === 'default/gated');
    assert.deepEqual(
      mine.map((t) => `${t.node}#${t.attempt} ${t.plugin}`).sort(),
      ['retry#1 flaky', 'retry#2 flaky', 'run#1 pod', 'say#1 echo'],
      'one line per attempt: the start before the refused write left none',
    );
    for (const t of mine) {
      assert.equal(t.uid, created.metadata.uid);
      assert.equal(t.shard, '0');
      assert.equal(t.replica, 'r1');
    }
    const runLine = mine.find((t) => t.node === 'run');
    // The server stamps its entry when it decides the answer, before sending it: the replica's line,
    // written after the answer arrived, can never be earlier (same clock, even on a busy machine).
    assert.ok(
      runLine && ms(runLine.at) > refusedAt && ms(runLine.at) >= committedAt,
      `the pod task's line (${String(runLine?.at)}) follows the refused write (${new Date(refusedAt).toISOString()}) and the write that recorded it (${new Date(committedAt).toISOString()})`,
    );
    // Each task line lies inside a round of its workflow, and every round ended with an outcome.
    const rounds = ownership.filter((r) => r.key === 'default/gated');
    const ends = rounds.filter((r) => r.t === 'end');
    assert.equal(ends.length, rounds.length / 2, 'every round ended');
    assert.ok(
      ends.every((r) => r.outcome !== undefined),
      'every end carries its outcome',
    );
    assert.ok(
      ends.some((r) => r.outcome === 'requeue') && ends.some((r) => r.outcome === 'success' || r.outcome === 'skipped'),
      `outcomes: ${ends.map((r) => r.outcome).join(',')}`,
    );
    const starts = rounds.filter((r) => r.t === 'start');
    for (const t of mine) {
      const inside = starts.some((s, i) => ms(s.at) <= ms(t.at) && ms(t.at) <= ms(ends[i]?.at ?? -1));
      assert.ok(inside, `${t.node}#${t.attempt} written inside a round`);
    }

    const report = checkInvariants({
      workflows: [
        { namespace: 'default', name: 'gated', phase: done.status?.phase ?? null, expectedPhase: 'Succeeded' },
      ],
      ownership,
      taskStarts,
      podCreates: env.api.server.faults
        .audit({ resource: 'pods', verb: 'create' })
        .map((e) => ({ namespace: e.namespace, name: e.name, code: e.code })),
    });
    assert.deepEqual(report.violations, []);
    assert.equal(report.counts.distinctTaskStarts, 4);
  });
});
