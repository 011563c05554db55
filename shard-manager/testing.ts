/**
 * An in-process fleet for tests and benchmarks: a manager and replicas whose "shards" are
 * recorded intervals (no queues), over a real API server. It exercises the lease protocol alone.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { LeaseClient } from './leases/lease-client.js';
import { LeaseInformer } from './leases/lease-informer.js';
import { Membership } from './replica/membership.js';
import { ShardManager } from './manager/manager.js';
import { OwnershipLoop, type ShardRunner } from './replica/ownership-loop.js';
import type { LeaseTimings } from './leases/lease-state.js';

export const FAST_TIMINGS: LeaseTimings = { leaseDurationMs: 2000, renewIntervalMs: 400, safetyMarginMs: 600 };

/** Records every interval a replica ran a shard, for the ownership audit. */
export class RecordingRunner implements ShardRunner {
  readonly intervals: { shard: string; replica: string; start: number; end?: number }[] = [];
  constructor(readonly replica: string) {}
  async startShard(shard: string): Promise<void> {
    this.intervals.push({ shard, replica: this.replica, start: performance.now() });
  }
  async stopShard(shard: string): Promise<void> {
    const open = this.intervals.find((i) => i.shard === shard && i.end === undefined);
    if (open) open.end = performance.now();
  }
  running(): string[] {
    return this.intervals.filter((i) => i.end === undefined).map((i) => i.shard);
  }
}

/** Throws when two replicas' intervals on one shard overlap. */
export function findOverlap(runners: readonly RecordingRunner[]): string | undefined {
  const all = runners.flatMap((r) => r.intervals);
  for (const a of all) {
    for (const b of all) {
      if (a === b || a.shard !== b.shard || a.replica === b.replica) continue;
      const aEnd = a.end ?? Number.POSITIVE_INFINITY;
      const bEnd = b.end ?? Number.POSITIVE_INFINITY;
      if (!(aEnd <= b.start || bEnd <= a.start)) return `shard ${a.shard} ran on ${a.replica} and ${b.replica} at once`;
    }
  }
  return undefined;
}

export class TestFleet {
  readonly runners: RecordingRunner[] = [];
  private readonly informers: LeaseInformer[] = [];
  private readonly replicas = new Map<string, { membership: Membership; loop: OwnershipLoop }>();
  private manager: ShardManager | undefined;

  constructor(
    private readonly kc: KubeConfig,
    readonly namespace: string,
    readonly shards: readonly string[],
    readonly timings: LeaseTimings = FAST_TIMINGS,
  ) {}

  private async source(): Promise<LeaseInformer> {
    const informer = new LeaseInformer({ kubeConfig: this.kc, namespace: this.namespace });
    await informer.start();
    this.informers.push(informer);
    return informer;
  }

  async startManager(): Promise<void> {
    this.manager = new ShardManager({
      identity: 'manager',
      leases: new LeaseClient(this.kc, this.namespace),
      source: await this.source(),
      shards: this.shards,
      timings: this.timings,
      resyncMs: 200,
    });
    this.manager.start();
  }

  async startReplica(id: string): Promise<RecordingRunner> {
    const leases = new LeaseClient(this.kc, this.namespace);
    const runner = new RecordingRunner(id);
    this.runners.push(runner);
    const membership = new Membership({ leases, replica: id, timings: this.timings });
    const loop = new OwnershipLoop({
      replica: id,
      leases,
      source: await this.source(),
      membership,
      runner,
      resyncMs: 200,
    });
    await membership.start();
    loop.start();
    this.replicas.set(id, { membership, loop });
    return runner;
  }

  /** As a SIGKILL would: stop renewing and acting, release nothing. */
  async kill(id: string): Promise<void> {
    const replica = this.replicas.get(id);
    if (!replica) return;
    this.replicas.delete(id);
    await replica.membership.stop({ leave: false });
    await replica.loop.stop({ release: false });
  }

  runner(id: string): RecordingRunner {
    const runner = this.runners.filter((r) => r.replica === id).at(-1);
    if (!runner) throw new Error(`no replica ${id}`);
    return runner;
  }

  async stop(): Promise<void> {
    await this.manager?.stop();
    for (const { membership, loop } of this.replicas.values()) {
      await loop.stop();
      await membership.stop();
    }
    for (const informer of this.informers) await informer.stop();
  }
}
