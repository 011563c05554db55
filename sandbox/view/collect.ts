/**
 * Gathers a {@link ViewState}: the sandbox's own processes (fleet.ts), the fleet's leases
 * (`readFleet`, as `shardctl status` sees them), each replica's `/metrics` (rounds/s from deltas
 * of `flotilla_rounds_total`) and the observer's workflows and events.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Fleet } from '../fleet.js';
import type { Observer } from '../observe.js';
import type { EventLine, ReplicaRow, ShardCell, ViewState } from './model.js';

/** Sum of every sample of `name` in Prometheus text (any labels). */
export function sumMetric(text: string, name: string): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

async function scrape(url: string): Promise<string | null> {
  const target = /\/metrics$/.test(url) ? url : `${url.replace(/\/$/, '')}/metrics`;
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(1_500) });
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}

export interface CollectorOptions {
  kubeConfig: KubeConfig;
  fleet: Fleet | null;
  observer: Observer;
  startedAt: Date;
  /** How many workflows the sandbox submitted so far (examples + load). */
  submitted: () => number;
  /** Sandbox events (replica died, restarted), newest last. */
  sandboxEvents: () => EventLine[];
  /** @defaultValue 8 */
  maxEvents?: number;
}

export class ViewCollector {
  private readonly rounds = new Map<string, { at: number; total: number }>();
  private fleetClient: { leases: import('../../shard-manager/leases/lease-client.js').LeaseClient } | undefined;
  /** Load workflows the sandbox saw terminal, for failover counts etc. */
  constructor(private readonly options: CollectorOptions) {}

  async collect(): Promise<ViewState> {
    const { fleet, observer } = this.options;
    const notes: string[] = [];
    let leases: Awaited<ReturnType<typeof import('../../src/cli/shardctl/operations.js').readFleet>> | null = null;
    if (fleet) {
      try {
        const { readFleet } = await import('../../src/cli/shardctl/operations.js');
        if (!this.fleetClient) {
          const { LeaseClient } = await import('../../shard-manager/leases/lease-client.js');
          this.fleetClient = { leases: new LeaseClient(this.options.kubeConfig, fleet.fleetNamespace) };
        }
        leases = await readFleet(this.fleetClient);
      } catch {
        notes.push('fleet leases: not readable yet');
      }
    }
    const replicas: ReplicaRow[] = [];
    for (const info of fleet?.replicaInfos ?? []) {
      const lease = leases?.replicas.find((r) => r.replica === info.name);
      let roundsPerSecond: number | null = null;
      if (info.process?.running() && info.metrics) {
        const text = await scrape(info.metrics);
        const total = text === null ? null : sumMetric(text, 'flotilla_rounds_total');
        const now = Date.now();
        const prev = this.rounds.get(info.name);
        if (total !== null) {
          if (prev && total >= prev.total && now > prev.at)
            roundsPerSecond = ((total - prev.total) * 1000) / (now - prev.at);
          this.rounds.set(info.name, { at: now, total });
        }
      } else {
        this.rounds.delete(info.name);
      }
      replicas.push({
        name: info.name,
        process: info.process?.running() ? 'up' : 'down',
        pid: info.process?.running() ? info.process.pid : null,
        live: lease ? lease.live : null,
        shards: lease?.shardsOwned ?? 0,
        roundsPerSecond,
        restarts: info.restarts,
      });
    }
    const shards: ShardCell[] = (leases?.shards ?? []).map((s) => ({
      shard: s.shard,
      owner: s.owner,
      moving: s.moving,
      workflows: s.workflows,
      queueDepth: s.queueDepth,
    }));
    const now = Date.now();
    const recentFinishes = observer.finishes.filter((t) => t > now - 10_000).length;
    const workflows = [...observer.workflows.values()].filter((w) => !w.child);
    const finished = workflows.filter((w) => w.finishedAt !== null).length;
    const execution: EventLine[] = observer.recent.map((e) => ({
      at: e.occurredAt,
      text: `${e.namespace}/${e.name} ${e.id} ${e.phase}`,
    }));
    const events = [...this.options.sandboxEvents(), ...execution]
      .sort((a, b) => a.at.localeCompare(b.at))
      .slice(-(this.options.maxEvents ?? 8));
    return {
      uptimeSeconds: (now - this.options.startedAt.getTime()) / 1000,
      notes,
      replicas,
      manager: leases ? leases.manager : null,
      shards,
      phases: observer.phases(),
      submitted: Math.max(this.options.submitted(), workflows.length),
      finished,
      throughput: recentFinishes / 10,
      events,
    };
  }
}
