/**
 * `flotilla manager` as a real process against the embedded API server: it leads, creates a
 * lease per shard, assigns them to a live member, serves /metrics /healthz /readyz, rejects bad
 * flags, and on SIGTERM releases the manager lease and exits 0 (a standby then leads).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { startFlotilla, type FlotillaProcess } from '../support/fleet.js';
import { runFlotilla } from '../webhook/process.js';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { Membership } from '../../shard-manager/replica/membership.js';
import { FAST_TIMINGS } from '../../shard-manager/testing.js';
import { ASSIGNED_TO_ANNOTATION, MANAGER_LEASE_NAME, shardLeaseName } from '../../shard-manager/leases/names.js';

const NS = 'fleet-cli';

describe('flotilla manager (process)', () => {
  let api: TestApiServer;
  let leases: LeaseClient;
  const processes: FlotillaProcess[] = [];
  let member: Membership;

  before(async () => {
    api = await startTestApiServer();
    await api.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    leases = new LeaseClient(api.kc, NS);
    member = new Membership({ leases, replica: 'r1', timings: FAST_TIMINGS });
    await member.start();
  });
  after(async () => {
    for (const p of processes) await p.stop();
    await member.stop();
    await api.stop();
  });

  async function manager(identity: string, port: number): Promise<FlotillaProcess> {
    const p = await startFlotilla(
      [
        'manager',
        '--kubeconfig',
        api.kubeconfigPath,
        '--fleet-namespace',
        NS,
        '--shard-count',
        '4',
        '--identity',
        identity,
        '--metrics-port',
        String(port),
        '--log-level',
        'warn',
      ],
      new RegExp(`manager ${identity} started`),
    );
    processes.push(p);
    return p;
  }

  test('leads, creates and assigns the shard leases, serves metrics; SIGTERM releases the lease and exits 0', async () => {
    const port = await freePort();
    const m1 = await manager('m1', port);
    assert.match(m1.stdout(), /^manager m1 started$/m);
    await waitFor(
      async () => {
        const all = await Promise.all([0, 1, 2, 3].map((s) => leases.get(shardLeaseName(String(s)))));
        return all.every((l) => l?.annotations?.[ASSIGNED_TO_ANNOTATION] === 'r1');
      },
      { what: 'four shard leases assigned to r1', timeoutMs: 20_000 },
    );
    assert.equal((await leases.get(MANAGER_LEASE_NAME))?.holderIdentity, 'm1');
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /flotilla_assignment_computations_total\{manager="m1"\} [1-9]/);

    const port2 = await freePort();
    const m2 = await manager('m2', port2);
    assert.equal((await leases.get(MANAGER_LEASE_NAME))?.holderIdentity, 'm1', 'the standby does not lead');
    m1.signal('SIGTERM');
    assert.equal(await m1.exited, 0);
    await waitFor(async () => (await leases.get(MANAGER_LEASE_NAME))?.holderIdentity === 'm2', {
      what: 'the standby leads after the release',
      timeoutMs: 10_000,
    });
    assert.equal(await m2.stop(), 0);
    assert.notEqual((await leases.get(MANAGER_LEASE_NAME))?.holderIdentity, 'm2', 'released on SIGTERM');
  });

  test('bad flags exit 2', async () => {
    for (const args of [
      ['--shard-count', '0'],
      ['--weigh-by', 'cpu'],
      ['--join-delay', 'soon'],
    ]) {
      const result = await runFlotilla(['manager', '--kubeconfig', api.kubeconfigPath, ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    }
  });
});
