/**
 * `shardctl` as a real process against the embedded API server and an in-process fleet
 * (manager + recording replicas): status, move, drain/undrain, pin/unpin, rebalance, and the
 * errors and exit codes a script relies on.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { waitFor } from '../support/wait.js';
import { hashShardIds } from '../../shard-manager/sharding/hash.js';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { TestFleet, findOverlap } from '../../shard-manager/testing.js';
import type { FleetStatus } from '../../shard-manager/fleet-status.js';

const run = promisify(execFile);
const NS = 'flotilla-system';
let api: TestApiServer;
let fleet: TestFleet;

async function shardctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['bin/shardctl.mjs', '--kubeconfig', api.kubeconfigPath, ...args],
      { timeout: 60_000 },
    );
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
  await waitFor(async () => (await status()).shards.filter((s) => s.owner && !s.moving).length === 8, {
    timeoutMs: 15_000,
    what: 'the fleet to settle',
  });
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
    assert.deepEqual(
      s.replicas.map((r) => [r.replica, r.live, r.shardsOwned]),
      [
        ['a', true, 4],
        ['b', true, 4],
      ],
    );
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
    await waitFor(async () => (await status()).shards.every((s) => !s.moving), {
      timeoutMs: 10_000,
      what: 'balance after the move',
    });
    const after = await status();
    const now = after.shards.find((s) => s.shard === shard.shard);
    assert.equal(now?.owner, 'b');
    assert.equal(now?.movedByOperator, true);
    assert.ok((now?.epoch ?? 0) > shard.epoch, 'the epoch grows with the handover');
    assert.deepEqual(
      after.replicas.map((r) => r.shardsOwned),
      [4, 4],
      'balance moved another shard back',
    );
  });

  test('errors: unknown shard, unknown replica, dead replica, bad arguments', async () => {
    const unknownShard = await shardctl('move', '99', 'a');
    assert.equal(unknownShard.code, 2, unknownShard.stderr);
    assert.match(unknownShard.stderr, /unknown shard '99'/);
    const unknownReplica = await shardctl('move', '0', 'zed');
    assert.equal(unknownReplica.code, 2, unknownReplica.stderr);
    assert.match(unknownReplica.stderr, /unknown replica 'zed'.*replicas: a, b/);
    // A member lease that stopped renewing long ago.
    await new LeaseClient(api.kc, NS).create('flotilla-member-ghost', 'member', {
      holderIdentity: 'ghost',
      leaseDurationSeconds: 2,
      renewTimeMs: Date.now() - 60_000,
      acquireTimeMs: Date.now() - 120_000,
    });
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
    await waitFor(async () => (await status()).replicas.every((r) => r.shardsOwned === 4), {
      timeoutMs: 15_000,
      what: 'a to take shards again',
    });
    s = await status();
    assert.equal(s.replicas.find((r) => r.replica === 'a')?.draining, false);
  });

  test('pin keeps a shard on a replica; unpin and rebalance clear the marks', async () => {
    const s = await status();
    const shard = s.shards.find((x) => x.owner === 'b');
    assert.ok(shard);
    assert.equal((await shardctl('pin', shard.shard, 'a')).code, 0);
    await waitFor(async () => (await status()).shards.find((x) => x.shard === shard.shard)?.owner === 'a', {
      timeoutMs: 15_000,
      what: 'the pinned shard to move',
    });
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

  test('output: borderless tables, -o wide, yaml and name, --no-headers', async () => {
    const table = await shardctl('status');
    assert.doesNotMatch(table.stdout, /[│┌┐└┘─]/, 'no box drawing');
    assert.match(table.stdout, /^REPLICA {3}LIVE {3}DRAINING {3}OWNED {3}ASSIGNED$/m);
    assert.match(table.stdout, /^SHARD {3}OWNER {3}ASSIGNED TO {3}EPOCH {3}WORKFLOWS {3}QUEUE {3}NOTES$/m);
    const wide = await shardctl('status', '-o', 'wide');
    assert.match(wide.stdout, /^REPLICA .* {3}LAST RENEW$/m);
    assert.match(wide.stdout, /^SHARD .* {3}LEASE AGE {3}.* {3}PINNED TO {3}NOTES$/m);
    const yaml = await shardctl('status', '-o', 'yaml');
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.equal((parse(yaml.stdout) as FleetStatus).shards.length, 8);
    const names = (await shardctl('status', '-o', 'name')).stdout.trim().split('\n');
    assert.deepEqual(names.slice(0, 2), ['replica/a', 'replica/b']);
    assert.equal(names.filter((n) => n.startsWith('shard/')).length, 8);
    const bare = await shardctl('status', '--no-headers');
    assert.doesNotMatch(bare.stdout, /REPLICA|SHARD|^fleet /m);
    assert.match(bare.stdout, /^a {3,}yes {3,}no {3,}\d+ {3,}\d+$/m);
  });

  test('namespace: the kubeconfig context namespace, -n over it, else the fleet namespace', async () => {
    const config = parse(readFileSync(api.kubeconfigPath, 'utf8')) as {
      contexts: { context: Record<string, string> }[];
    };
    for (const c of config.contexts) c.context['namespace'] = 'elsewhere';
    const file = join(api.dir, 'elsewhere-kubeconfig');
    writeFileSync(file, stringify(config));
    const byContext = await shardctl('--kubeconfig', file, 'status', '-o', 'json');
    assert.equal((JSON.parse(byContext.stdout) as FleetStatus).namespace, 'elsewhere');
    const byFlag = await shardctl('--kubeconfig', file, 'status', '-o', 'json', '-n', NS);
    assert.equal((JSON.parse(byFlag.stdout) as FleetStatus).shards.length, 8);
    assert.equal((await status()).namespace, NS, 'a context without a namespace: the fleet namespace');
  });

  test('status --watch prints the status again when a lease changes', async () => {
    const child = spawn(
      process.execPath,
      ['bin/shardctl.mjs', '--kubeconfig', api.kubeconfigPath, 'status', '--watch'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor(() => out.includes('8 shards'), { timeoutMs: 15_000, what: 'the first frame' });
      assert.doesNotMatch(out, /pinned to/);
      assert.equal((await shardctl('pin', '0', 'a')).code, 0);
      await waitFor(() => /^0 .*pinned to a/m.test(out), { timeoutMs: 15_000, what: 'a frame showing the pin' });
      assert.equal((await shardctl('unpin', '0')).code, 0);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, 'Ctrl-C ends the watch cleanly');
  });
});
