/**
 * Handover and failover in the real fleet: `flotilla controller` processes in lease mode (one also
 * the shard manager) on the embedded API server (simulated kubelet) and a real Redis, with a light
 * stream of pod workflows so rounds are in flight while shards move.
 * - handover: `moveShard` (what `shardctl move` does) → the target holds the shard's lease, i.e.
 *   the old owner stopped taking jobs, finished its rounds, stopped its informers and released;
 *   N moves alternating between two replicas; p50/p99.
 * - failover: SIGKILL a replica process → every shard it held is held by a live replica (bounded
 *   below by the lease duration, 6 s by default).
 * Reuses the fleet tests' helpers (`test/support/fleet.ts`).
 */
import { LeaseClient } from '../shard-manager/leases/lease-client.js';
import { shardLeaseName } from '../shard-manager/leases/names.js';
import { moveShard } from '../src/cli/shardctl/operations.js';
import { FLEET_NS, startFleetEnv, type FleetEnv } from '../test/support/fleet.js';
import { percentile } from './stats.js';

export interface HandoverBenchOptions {
  /** Planned moves to time. @defaultValue 50 */
  moves?: number;
  /** SIGKILLs to time. @defaultValue 3 */
  failovers?: number;
  /** @defaultValue 8 */
  shardCount?: number;
  print?: boolean;
}

export interface HandoverBenchResult {
  handoverMs: { samples: number[]; p50: number; p99: number };
  failoverMs: { samples: number[]; median: number; min: number; max: number };
}

async function holders(leases: LeaseClient, count: number): Promise<(string | undefined)[]> {
  return Promise.all(
    Array.from(
      { length: count },
      async (_, i) => (await leases.get(shardLeaseName(String(i))))?.holderIdentity ?? undefined,
    ),
  );
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function benchHandover(options: HandoverBenchOptions = {}): Promise<HandoverBenchResult> {
  const moves = options.moves ?? 50;
  const failovers = options.failovers ?? 3;
  const log = (line: string) => options.print && process.stdout.write(`${line}\n`);
  const env: FleetEnv = await startFleetEnv({ shardCount: options.shardCount ?? 8 });
  const leases = new LeaseClient(env.api.kc, FLEET_NS);
  const count = env.shardCount;
  let streaming = true;
  let submitted = 0;
  const stream = (async () => {
    while (streaming) {
      await env.submit(`bench-${submitted++}`).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    await env.controller('c1', { manager: true });
    await env.controller('c2');
    await until(
      async () => {
        const h = await holders(leases, count);
        return h.includes('c1') && h.includes('c2') && h.every((x) => x !== undefined);
      },
      60_000,
      'shards spread over c1 and c2',
    );

    const handover: number[] = [];
    for (let i = 0; i < moves; i++) {
      const shard = i % count;
      const h = await holders(leases, count);
      const target = h[shard] === 'c1' ? 'c2' : 'c1';
      const started = performance.now();
      await moveShard({ leases }, String(shard), target);
      await until(
        async () => (await leases.get(shardLeaseName(String(shard))))?.holderIdentity === target,
        30_000,
        `shard ${shard} → ${target}`,
      );
      handover.push(performance.now() - started);
    }
    const sorted = [...handover].sort((a, b) => a - b);
    const handoverMs = { samples: handover, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    log(`handover: ${moves} moves, p50 ${handoverMs.p50.toFixed(0)} ms, p99 ${handoverMs.p99.toFixed(0)} ms`);

    const failover: number[] = [];
    for (let i = 0; i < failovers; i++) {
      const id = `k${i}`;
      const victim = await env.controller(id);
      await until(async () => (await holders(leases, count)).includes(id), 60_000, `${id} gets shards`);
      await new Promise((r) => setTimeout(r, 500));
      const killedAt = performance.now();
      victim.signal('SIGKILL');
      await until(
        async () => {
          const h = await holders(leases, count);
          return !h.includes(id) && h.every((x) => x !== undefined);
        },
        60_000,
        `${id}'s shards taken over`,
      );
      failover.push(performance.now() - killedAt);
      log(`failover ${i + 1}: ${failover.at(-1)?.toFixed(0)} ms`);
    }
    const f = [...failover].sort((a, b) => a - b);
    return {
      handoverMs,
      failoverMs: {
        samples: failover,
        median: percentile(f, 50),
        min: f[0] ?? Number.NaN,
        max: f.at(-1) ?? Number.NaN,
      },
    };
  } finally {
    streaming = false;
    await stream;
    await env.stop();
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const quick = process.argv.includes('--quick');
  await benchHandover({ moves: quick ? 10 : 50, failovers: quick ? 1 : 3, print: true });
}
