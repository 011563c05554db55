/**
 * The lease protocol's cost and speed, on the real embedded API server with an in-process fleet
 * (manager + replicas whose shards are recorded intervals, `shard-manager/testing.ts`): this is
 * the protocol alone, without queues or rounds to drain.
 * - Lease writes per minute in steady state for S = 32 and S = 1024 shards with 3 replicas (from
 *   the server's audit of every write): the design renews only member leases and the manager
 *   lease, so the figure should not grow with S.
 * - Planned handover: `moveShard` → the new owner holds the lease (p50/p99 over N moves).
 * - Failover: a replica stops renewing (as after SIGKILL) → all its shards are held by others.
 * Run alone: `node --import tsx bench/leases.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from '../sandbox/apiserver/index.js';
import { TestFleet } from '../shard-manager/testing.js';
import { hashShardIds } from '../shard-manager/sharding/hash.js';
import { DEFAULT_LEASE_TIMINGS, type LeaseTimings } from '../shard-manager/leases/lease-state.js';
import { LeaseClient } from '../shard-manager/leases/lease-client.js';
import { moveShard, readFleet } from '../src/cli/shardctl/operations.js';
import { percentile, spread, type Spread } from './stats.js';

export interface LeaseBenchOptions {
  /** Shard counts to measure lease traffic for. @defaultValue [32, 1024] */
  shardCounts?: number[];
  replicas?: number;
  /** Steady-state window per shard count (ms). @defaultValue 60000 */
  windowMs?: number;
  /** Planned moves to time. @defaultValue 50 */
  moves?: number;
  /** Failovers to time. @defaultValue 3 */
  failovers?: number;
  timings?: LeaseTimings;
  print?: boolean;
}

export interface LeaseBenchResult {
  timings: LeaseTimings;
  writesPerMinute: { shards: number; replicas: number; writesPerMinute: number; conflictsPerMinute: number }[];
  handoverMs: { p50: number; p99: number; samples: number[] };
  failoverMs: Spread & { samples: number[] };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function withServer<T>(fn: (server: RunningApiServer, kc: KubeConfig) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-leases-'));
  const server = await startApiServer({ port: 0, kubelet: false, kubeconfigOut: join(dir, 'kubeconfig') });
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig);
  try {
    return await fn(server, kc);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function settledFleet(
  kc: KubeConfig,
  namespace: string,
  shards: number,
  replicas: number,
  timings: LeaseTimings,
): Promise<TestFleet> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const fleet = new TestFleet(kc, namespace, hashShardIds(shards), timings);
  await fleet.startManager();
  for (let i = 0; i < replicas; i++) await fleet.startReplica(`r${i}`);
  const client = { leases: new LeaseClient(kc, namespace) };
  await waitUntil(
    async () => {
      const f = await readFleet(client);
      return f.shards.length === shards && f.shards.every((s) => s.owner !== null && !s.moving);
    },
    120_000,
    `${shards} shards to settle`,
  );
  return fleet;
}

export async function benchLeases(options: LeaseBenchOptions = {}): Promise<LeaseBenchResult> {
  const timings = options.timings ?? DEFAULT_LEASE_TIMINGS;
  const replicas = options.replicas ?? 3;
  const windowMs = options.windowMs ?? 60_000;
  const writesPerMinute: LeaseBenchResult['writesPerMinute'] = [];

  for (const shards of options.shardCounts ?? [32, 1024]) {
    await withServer(async (server, kc) => {
      const fleet = await settledFleet(kc, 'flotilla-system', shards, replicas, timings);
      try {
        const before = server.faults.audit({ resource: 'leases' }).length;
        const start = Date.now();
        await new Promise((r) => setTimeout(r, windowMs));
        const entries = server.faults.audit({ resource: 'leases' }).slice(before);
        const minutes = (Date.now() - start) / 60_000;
        writesPerMinute.push({
          shards,
          replicas,
          writesPerMinute: Math.round(entries.filter((e) => e.code < 300).length / minutes),
          conflictsPerMinute: Math.round(entries.filter((e) => e.code === 409).length / minutes),
        });
      } finally {
        await fleet.stop();
      }
    });
  }

  const handovers: number[] = [];
  const failovers: number[] = [];
  await withServer(async (_server, kc) => {
    const namespace = 'flotilla-system';
    const fleet = await settledFleet(kc, namespace, 32, replicas, timings);
    const client = { leases: new LeaseClient(kc, namespace) };
    try {
      for (let i = 0; i < (options.moves ?? 50); i++) {
        const f = await readFleet(client);
        const shard = f.shards[i % f.shards.length];
        if (!shard?.owner) continue;
        const target = f.replicas.find((r) => r.replica !== shard.owner && r.live)?.replica;
        if (!target) continue;
        const started = performance.now();
        await moveShard(client, shard.shard, target);
        await waitUntil(
          async () => (await client.leases.get(`flotilla-shard-${shard.shard}`))?.holderIdentity === target,
          30_000,
          `shard ${shard.shard} to move`,
        );
        handovers.push(performance.now() - started);
        // Let the manager restore balance before the next move.
        await waitUntil(async () => (await readFleet(client)).shards.every((s) => !s.moving), 30_000, 'balance');
      }
      for (let i = 0; i < (options.failovers ?? 3); i++) {
        const victim = `r${i % replicas}`;
        const owned = (await readFleet(client)).shards.filter((s) => s.owner === victim).map((s) => s.shard);
        const started = performance.now();
        await fleet.kill(victim);
        await waitUntil(
          async () => {
            const f = await readFleet(client);
            return owned.every((shard) => {
              const s = f.shards.find((x) => x.shard === shard);
              return s?.owner !== null && s?.owner !== victim;
            });
          },
          60_000,
          `failover of ${victim}`,
        );
        failovers.push(performance.now() - started);
        await fleet.startReplica(victim);
        await waitUntil(
          async () => (await readFleet(client)).shards.every((s) => s.owner !== null && !s.moving),
          60_000,
          'rejoin',
        );
      }
    } finally {
      await fleet.stop();
    }
  });

  const result: LeaseBenchResult = {
    timings,
    writesPerMinute,
    handoverMs: { p50: percentile(handovers, 50), p99: percentile(handovers, 99), samples: handovers },
    failoverMs: { ...spread(failovers), samples: failovers },
  };
  if (options.print ?? true) {
    console.log(
      `lease timings: duration ${timings.leaseDurationMs} ms, renew every ${timings.renewIntervalMs} ms, safety margin ${timings.safetyMarginMs} ms`,
    );
    for (const w of writesPerMinute)
      console.log(
        `S=${w.shards}, ${w.replicas} replicas: ${w.writesPerMinute} lease writes/min (${w.conflictsPerMinute} conflicts/min)`,
      );
    console.log(
      `planned handover (protocol only): p50 ${result.handoverMs.p50.toFixed(0)} ms, p99 ${result.handoverMs.p99.toFixed(0)} ms over ${handovers.length} moves`,
    );
    console.log(
      `failover after a replica stops renewing: median ${result.failoverMs.median.toFixed(0)} ms (min ${result.failoverMs.min.toFixed(0)}, max ${result.failoverMs.max.toFixed(0)})`,
    );
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  await benchLeases(values.quick ? { windowMs: 15_000, moves: 10, failovers: 1 } : {});
}
