/**
 * Fencing and planned moves with real processes: a replica SIGSTOPped past its lease loses its
 * shards to the other replica; after SIGCONT it does not act on them (the ownership audit shows
 * no overlapping rounds) and rejoins cleanly (renews, gets shards again, workflows complete).
 * Then `shardctl move --wait` hands a shard over on the running fleet; the handover time is printed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { memberLeaseName, shardLeaseName } from '../../shard-manager/leases/names.js';
import { waitFor } from '../support/wait.js';
import { atMs, checkFleetAudits, FLEET_NS, readAudit, startFleetEnv, type FleetEnv } from '../support/fleet.js';

const shardctlBin = join(fileURLToPath(new URL('../../', import.meta.url)), 'bin/shardctl.mjs');

function shardctl(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [shardctlBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('fleet of controller processes: SIGSTOP past the lease, shardctl move', { timeout: 150_000 }, () => {
  let env: FleetEnv;
  let leases: LeaseClient;
  const submitted: string[] = [];

  const holders = async () =>
    Promise.all(
      Array.from(
        { length: env.shardCount },
        async (_, i) => (await leases.get(shardLeaseName(String(i))))?.holderIdentity ?? undefined,
      ),
    );
  async function submitSome(prefix: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await env.submit(`${prefix}-${i}`);
      submitted.push(`${prefix}-${i}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async function allSucceed(): Promise<void> {
    await waitFor(
      async () => {
        for (const name of submitted) if ((await env.phase(name)) !== 'Succeeded') return false;
        return true;
      },
      { what: `${submitted.length} workflows succeeded`, timeoutMs: 40_000 },
    );
  }

  before(async () => {
    env = await startFleetEnv({ shardCount: 8 });
    leases = new LeaseClient(env.api.kc, FLEET_NS);
    await env.controller('c1', { manager: true });
    await env.controller('c2');
    await waitFor(
      async () => {
        const h = await holders();
        return h.includes('c1') && h.includes('c2') && h.every((x) => x !== undefined);
      },
      { what: 'shards spread over c1 and c2', timeoutMs: 30_000 },
    );
  });
  after(async () => {
    await env.stop();
  });

  test('SIGSTOP past the lease: c1 takes the shards; after SIGCONT c2 does not act on them and rejoins', async () => {
    const c2 = env.controllers.get('c2');
    assert.ok(c2);
    await submitSome('before', 8);
    const lost = (await holders()).flatMap((h, i) => (h === 'c2' ? [String(i)] : []));
    assert.ok(lost.length > 0);
    const stoppedAt = Date.now();
    c2.signal('SIGSTOP');
    await waitFor(async () => (await holders()).every((h) => h === 'c1'), {
      what: 'c1 takes the stopped replica’s shards',
      timeoutMs: 30_000,
    });
    await submitSome('while-stopped', 10);
    await new Promise((r) => setTimeout(r, 1000));
    const contAt = Date.now();
    c2.signal('SIGCONT');
    process.stdout.write(`# c2 stopped for ${contAt - stoppedAt} ms\n`);
    await submitSome('after', 10);
    // It rejoins: its member lease is renewed again and the manager gives it shards back.
    const member0 = await leases.get(memberLeaseName('c2'));
    await waitFor(async () => (await leases.get(memberLeaseName('c2')))?.renewTimeMs !== member0?.renewTimeMs, {
      what: 'c2 renews again',
      timeoutMs: 15_000,
    });
    await waitFor(async () => (await holders()).includes('c2'), { what: 'c2 gets shards again', timeoutMs: 30_000 });
    await allSucceed();
    const c2Records = readAudit(env.auditFile('c2')).ownership;
    assert.ok(
      !c2Records.some((r) => r.t === 'start' && atMs(r.at) > stoppedAt && atMs(r.at) < contAt),
      'no round started while stopped',
    );
    const report = checkFleetAudits(env, ['c1', 'c2']);
    assert.deepEqual(
      report.violations,
      [],
      'no overlapping rounds (c2 did not act on the shards it lost), no pod created twice, no task attempt started twice',
    );
    assert.ok(
      report.counts.distinctTaskStarts >= 2 * submitted.length,
      `every task start audited (${report.counts.distinctTaskStarts})`,
    );
    process.stdout.write(
      `# audit: ${report.counts.rounds} rounds, ${report.counts.fencedRounds} of c2's paused rounds wrote nothing and overlapped c1's\n`,
    );
    assert.equal(c2.child.exitCode, null, 'c2 is still running');
  });

  test('shardctl move hands a shard over on the real fleet', async () => {
    const h = await holders();
    const shard = h.findIndex((x) => x === 'c1');
    assert.ok(shard >= 0);
    const result = await shardctl([
      '--kubeconfig',
      env.api.kubeconfigPath,
      '-n',
      FLEET_NS,
      'move',
      String(shard),
      'c2',
      '--wait',
      '--timeout',
      '30',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const ms = /moved to c2 in (\d+) ms/.exec(result.stderr)?.[1];
    assert.ok(ms, result.stderr);
    process.stdout.write(`# shardctl move (request → new owner holds the lease): ${ms} ms\n`);
    assert.equal((await holders())[shard], 'c2');
    await submitSome('moved', 6);
    await allSucceed();
    assert.deepEqual(checkFleetAudits(env, ['c1', 'c2']).violations, []);
  });
});
