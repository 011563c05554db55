/**
 * `shardctl` as a real process against the embedded API server and an in-process fleet
 * (manager + recording replicas): status, move, drain/undrain, pin/unpin, rebalance, and the
 * errors and exit codes a script relies on.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { waitFor } from '../support/wait.js';
import { hashShardIds } from '../../shard-manager/sharding/hash.js';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { TestFleet, findOverlap } from '../../shard-manager/testing.js';
import type { FleetStatus } from '../../src/cli/shardctl/fleet-status.js';

const run = promisify(execFile);
const NS = 'flotilla-system';
let api: TestApiServer;
let fleet: TestFleet;

async function shardctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/shardctl.mjs', '--kubeconfig', api.kubeconfigPath, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function status(): Promise<FleetStatus> {
  const result = await shardctl('status', '-o', 'json');
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as FleetStatus;
}

before(async () => {
  api = await startTestApiServer();
  await api.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  fleet = new TestFleet(api.kc, NS, hashShardIds(8));
  await fleet.startManager();
  await fleet.startReplica('a');
  await fleet.startReplica('b');
  await waitFor(async () => (await status()).shards.filter((s) => s.owner && !s.moving).length === 8, { timeoutMs: 15_000, what: 'the fleet to settle' });
});
after(async () => {
  await fleet.stop();
  await api.stop();
});

describe('shardctl', () => {
  test('status shows every shard, its owner and epoch, and both replicas live', async () => {
    const s = await status();
    assert.equal(s.shards.length, 8);
    assert.equal(s.manager.leader, 'manager');
    assert.deepEqual(s.replicas.map((r) => [r.replica, r.live, r.shardsOwned]), [['a', true, 4], ['b', true, 4]]);
    for (const shard of s.shards) assert.ok(shard.epoch >= 1);
    const table = await shardctl('status');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /2\/2 replicas live, 8 shards, 0 moving/);
    assert.match(table.stdout, /SHARD/);
  });

  test('move --wait hands a shard over, and the manager keeps it there', async () => {
    const before = await status();
    const shard = before.shards.find((s) => s.owner === 'a');
    assert.ok(shard);
    const moved = await shardctl('move', shard.shard, 'b', '--wait', '--timeout', '20');
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stderr, new RegExp(`shard ${shard.shard} moved to b in \\d+ ms`));
    await waitFor(async () => (await status()).shards.every((s) => !s.moving), { timeoutMs: 10_000, what: 'balance after the move' });
    const after = await status();
    const now = after.shards.find((s) => s.shard === shard.shard);
    assert.equal(now?.owner, 'b');
    assert.equal(now?.movedByOperator, true);
    assert.ok((now?.epoch ?? 0) > shard.epoch, 'the epoch grows with the handover');
    assert.deepEqual(after.replicas.map((r) => r.shardsOwned), [4, 4], 'balance moved another shard back');
  });

  test('errors: unknown shard, unknown replica, dead replica, bad arguments', async () => {
    const unknownShard = await shardctl('move', '99', 'a');
    assert.equal(unknownShard.code, 2, unknownShard.stderr);
    assert.match(unknownShard.stderr, /unknown shard '99'/);
    const unknownReplica = await shardctl('move', '0', 'zed');
    assert.equal(unknownReplica.code, 2, unknownReplica.stderr);
    assert.match(unknownReplica.stderr, /unknown replica 'zed'.*replicas: a, b/);
    // A member lease that stopped renewing long ago.
    await new LeaseClient(api.kc, NS).create('flotilla-member-ghost', 'member', { holderIdentity: 'ghost', leaseDurationSeconds: 2, renewTimeMs: Date.now() - 60_000, acquireTimeMs: Date.now() - 120_000 });
    const dead = await shardctl('move', '0', 'ghost');
    assert.equal(dead.code, 2, dead.stderr);
    assert.match(dead.stderr, /not live/);
    const missingArg = await shardctl('move', '0');
    assert.equal(missingArg.code, 2, missingArg.stderr);
    assert.match(missingArg.stderr, /missing required argument/);
    const badOutput = await shardctl('status', '-o', 'xml');
    assert.equal(badOutput.code, 2, badOutput.stderr);
    await new LeaseClient(api.kc, NS).delete('flotilla-member-ghost');
  });

  test('drain --wait empties a replica; undrain lets it take shards again', async () => {
    const drained = await shardctl('drain', 'a', '--wait', '--timeout', '20');
    assert.equal(drained.code, 0, drained.stderr);
    let s = await status();
    assert.equal(s.replicas.find((r) => r.replica === 'a')?.shardsOwned, 0);
    assert.equal(s.replicas.find((r) => r.replica === 'a')?.draining, true);
    const toDrained = await shardctl('move', '0', 'a');
    assert.equal(toDrained.code, 2, toDrained.stderr);
    assert.match(toDrained.stderr, /draining/);
    const undrained = await shardctl('undrain', 'a');
    assert.equal(undrained.code, 0, undrained.stderr);
    await waitFor(async () => (await status()).replicas.every((r) => r.shardsOwned === 4), { timeoutMs: 15_000, what: 'a to take shards again' });
    s = await status();
    assert.equal(s.replicas.find((r) => r.replica === 'a')?.draining, false);
  });

  test('pin keeps a shard on a replica; unpin and rebalance clear the marks', async () => {
    const s = await status();
    const shard = s.shards.find((x) => x.owner === 'b');
    assert.ok(shard);
    assert.equal((await shardctl('pin', shard.shard, 'a')).code, 0);
    await waitFor(async () => (await status()).shards.find((x) => x.shard === shard.shard)?.owner === 'a', { timeoutMs: 15_000, what: 'the pinned shard to move' });
    const blocked = await shardctl('move', shard.shard, 'b');
    assert.equal(blocked.code, 2, blocked.stderr);
    assert.match(blocked.stderr, /pinned to 'a'/);
    assert.equal((await shardctl('unpin', shard.shard)).code, 0);
    const rebalanced = await shardctl('rebalance', '--wait', '--timeout', '20', '-o', 'json');
    assert.equal(rebalanced.code, 0, rebalanced.stderr);
    const after = JSON.parse(rebalanced.stdout) as FleetStatus;
    assert.ok(after.shards.every((x) => !x.movedByOperator && !x.pinnedTo));
    assert.equal(findOverlap(fleet.runners), undefined);
  });
});
