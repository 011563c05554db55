/**
 * The fleet with real processes: `flotilla controller` replicas in lease mode (one also the
 * shard-manager candidate) scaled 1 → 3 → 2 under a steady stream of pod workflows, then one
 * SIGKILLed. Checked with the fleet's invariants checker: every workflow completes, no Pod is
 * created twice (the API server's write audit), no task attempt is recorded as started twice (the
 * replicas' `task` audit lines: every attempt of every workflow, once), and the ownership audit
 * across every replica's round log shows no two replicas' rounds on one shard overlapping in time
 * (a start without an end runs until its process died). The failover time after SIGKILL is printed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { shardLeaseName } from '../../shard-manager/leases/names.js';
import { waitFor } from '../support/wait.js';
import { checkFleetAudits, FLEET_NS, startFleetEnv, type FleetEnv } from '../support/fleet.js';

describe('fleet of controller processes: scale 1 → 3 → 2, SIGKILL', { timeout: 150_000 }, () => {
  let env: FleetEnv;
  let leases: LeaseClient;
  const submitted: string[] = [];
  let streaming = false;
  let stream: Promise<void> | undefined;

  const holders = async () =>
    Promise.all(
      Array.from(
        { length: env.shardCount },
        async (_, i) => (await leases.get(shardLeaseName(String(i))))?.holderIdentity ?? undefined,
      ),
    );

  function startStream(prefix: string): void {
    streaming = true;
    stream = (async () => {
      for (let i = 0; streaming; i++) {
        const name = `${prefix}-${i}`;
        await env.submit(name);
        submitted.push(name);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
  }
  async function stopStream(): Promise<void> {
    streaming = false;
    await stream;
  }
  async function allSucceed(timeoutMs = 40_000): Promise<void> {
    await waitFor(
      async () => {
        for (const name of submitted) if ((await env.phase(name)) !== 'Succeeded') return false;
        return true;
      },
      { what: `${submitted.length} workflows succeeded`, timeoutMs },
    );
  }
  /** `lostStarts`: task lines a SIGKILL may have cut between a status write and its audit line. */
  function assertAudits(ids: readonly string[], lostStarts = 0): void {
    const report = checkFleetAudits(env, ids);
    assert.ok(report.counts.rounds > submitted.length, `rounds audited (${report.counts.rounds})`);
    assert.deepEqual(report.checked, ['expected-phase', 'pod-launched-twice', 'task-started-twice', 'shard-overlap']);
    assert.deepEqual(
      report.violations,
      [],
      'no two replicas ran rounds of one shard at once, no pod created twice, no task attempt started twice',
    );
    assert.equal(report.counts.distinctPods, submitted.length, 'one pod per workflow');
    // Each workflow has two tasks (a pod, then echo): each attempt's start is audited once it is committed.
    const expected = 2 * submitted.length;
    assert.ok(
      report.counts.distinctTaskStarts <= expected && report.counts.distinctTaskStarts >= expected - lostStarts,
      `task starts audited: ${report.counts.distinctTaskStarts} of ${expected}`,
    );
    process.stdout.write(
      `# audit: ${report.counts.rounds} rounds (${report.counts.cutRounds} cut, ${report.counts.fencedRounds} fenced), ${report.counts.taskStarts} task starts\n`,
    );
  }

  before(async () => {
    env = await startFleetEnv({ shardCount: 8 });
    leases = new LeaseClient(env.api.kc, FLEET_NS);
  });
  after(async () => {
    streaming = false;
    await stream?.catch(() => undefined);
    await env.stop();
  });

  test('scale 1 → 3 → 2 under load: all complete, no overlap, no pod twice', async () => {
    await env.controller('c1', { manager: true });
    await waitFor(async () => (await holders()).every((h) => h === 'c1'), {
      what: 'c1 holds every shard',
      timeoutMs: 30_000,
    });
    startStream('wf');
    await new Promise((r) => setTimeout(r, 1500));
    await Promise.all([env.controller('c2'), env.controller('c3')]);
    await waitFor(
      async () => {
        const h = await holders();
        return ['c1', 'c2', 'c3'].every((id) => h.includes(id)) && h.every((x) => x !== undefined);
      },
      { what: 'shards spread over c1, c2, c3', timeoutMs: 30_000 },
    );
    await new Promise((r) => setTimeout(r, 2000));
    const c3 = env.controllers.get('c3');
    assert.ok(c3);
    assert.equal(await c3.stop(), 0, 'SIGTERM: graceful exit 0');
    await waitFor(async () => (await holders()).every((h) => h === 'c1' || h === 'c2'), {
      what: 'c3 shards moved to c1/c2',
      timeoutMs: 20_000,
    });
    await new Promise((r) => setTimeout(r, 1500));
    await stopStream();
    await allSucceed();
    assertAudits(['c1', 'c2', 'c3']);
  });

  test('SIGKILL a replica mid-run: its shards move after expiry and its workflows complete', async () => {
    const c2 = env.controllers.get('c2');
    assert.ok(c2);
    startStream('kill');
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = Date.now();
    c2.signal('SIGKILL');
    await c2.exited;
    await waitFor(async () => (await holders()).every((h) => h === 'c1'), {
      what: 'c1 takes over c2 shards',
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const failoverMs = Date.now() - killedAt;
    process.stdout.write(`# failover after SIGKILL: ${failoverMs} ms (default lease 6 s)\n`);
    await new Promise((r) => setTimeout(r, 1000));
    await stopStream();
    await allSucceed();
    // The SIGKILL may land between a status write and its task line: at most one round's (2 tasks) lost.
    assertAudits(['c1', 'c2', 'c3'], 2);
  });
});
