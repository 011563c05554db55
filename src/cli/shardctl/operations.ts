/**
 * The operator's actions on a fleet (`shardctl move|drain|undrain|pin|unpin|rebalance`), as
 * lease writes with checks first. Every write is resourceVersion-guarded and retried on a 409
 * after a fresh read; bad input (an unknown shard or replica, a dead or draining target, a pin in
 * the way) is a `ShardctlError` with exit code 2 before anything is written.
 */
import { KubeError } from '../../kube/errors.js';
import { CliError, ExitCode } from '../exit.js';
import type { LeaseClient } from '../../../shard-manager/leases/lease-client.js';
import type { LeaseFields } from '../../../shard-manager/leases/lease-state.js';
import {
  ASSIGNED_TO_ANNOTATION,
  DRAINING_ANNOTATION,
  MOVED_BY_OPERATOR_ANNOTATION,
  PINNED_TO_ANNOTATION,
  memberLeaseName,
  shardLeaseName,
} from '../../../shard-manager/leases/names.js';
import { fleetStatus, type FleetStatus } from '../../../shard-manager/fleet-status.js';

export interface FleetClient {
  readonly leases: LeaseClient;
  readonly clock?: () => number;
}

export async function readFleet(client: FleetClient): Promise<FleetStatus> {
  const [members, shards, managers] = await Promise.all([
    client.leases.list('member'),
    client.leases.list('shard'),
    client.leases.list('manager'),
  ]);
  return fleetStatus(
    client.leases.namespace,
    [...members.leases, ...shards.leases, ...managers.leases],
    (client.clock ?? Date.now)(),
  );
}

/** Re-reads and retries a lease write on conflict (someone else wrote first). */
async function withFreshLease(
  client: FleetClient,
  name: string,
  what: string,
  write: (lease: LeaseFields) => Promise<unknown>,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const lease = await client.leases.get(name);
    if (!lease) throw new CliError(`${what}: lease ${name} disappeared`, ExitCode.failed);
    try {
      await write(lease);
      return;
    } catch (error) {
      if (error instanceof KubeError && error.code === 'Conflict' && attempt < 5) continue;
      throw error;
    }
  }
}

async function requireShard(
  client: FleetClient,
  fleet: FleetStatus,
  shard: string,
): Promise<FleetStatus['shards'][number]> {
  const status = fleet.shards.find((s) => s.shard === shard);
  if (!status) {
    const known =
      fleet.shards.length > 0
        ? `known shards: ${fleet.shards[0]?.shard}..${fleet.shards.at(-1)?.shard}`
        : 'the fleet has no shard leases yet (is the manager running?)';
    throw new CliError(`unknown shard '${shard}' in namespace ${client.leases.namespace}: ${known}`, ExitCode.usage);
  }
  return status;
}

function requireReplica(
  client: FleetClient,
  fleet: FleetStatus,
  replica: string,
  purpose: 'target' | 'any',
): FleetStatus['replicas'][number] {
  const status = fleet.replicas.find((r) => r.replica === replica);
  if (!status) {
    const known = fleet.replicas.map((r) => r.replica).join(', ') || 'none';
    throw new CliError(
      `unknown replica '${replica}' in namespace ${client.leases.namespace} (replicas: ${known})`,
      ExitCode.usage,
    );
  }
  if (purpose === 'target' && !status.live)
    throw new CliError(
      `replica '${replica}' is not live (its member lease expired): refusing to move shards to it`,
      ExitCode.usage,
    );
  if (purpose === 'target' && status.draining)
    throw new CliError(`replica '${replica}' is draining: undrain it first`, ExitCode.usage);
  return status;
}

export async function moveShard(client: FleetClient, shard: string, replica: string): Promise<{ from: string | null }> {
  const fleet = await readFleet(client);
  const status = await requireShard(client, fleet, shard);
  requireReplica(client, fleet, replica, 'target');
  if (status.pinnedTo && status.pinnedTo !== replica) {
    throw new CliError(
      `shard ${shard} is pinned to '${status.pinnedTo}': unpin it first (shardctl unpin ${shard})`,
      ExitCode.usage,
    );
  }
  const at = new Date((client.clock ?? Date.now)()).toISOString();
  await withFreshLease(client, shardLeaseName(shard), `move shard ${shard}`, (lease) =>
    client.leases.update(lease, {
      annotations: { [ASSIGNED_TO_ANNOTATION]: replica, [MOVED_BY_OPERATOR_ANNOTATION]: at },
    }),
  );
  return { from: status.owner };
}

export async function setDraining(client: FleetClient, replica: string, draining: boolean): Promise<void> {
  const fleet = await readFleet(client);
  requireReplica(client, fleet, replica, 'any');
  await withFreshLease(
    client,
    memberLeaseName(replica),
    draining ? `drain ${replica}` : `undrain ${replica}`,
    (lease) => client.leases.update(lease, { annotations: { [DRAINING_ANNOTATION]: draining ? 'true' : null } }),
  );
}

export async function pinShard(client: FleetClient, shard: string, replica: string): Promise<void> {
  const fleet = await readFleet(client);
  await requireShard(client, fleet, shard);
  requireReplica(client, fleet, replica, 'target');
  await withFreshLease(client, shardLeaseName(shard), `pin shard ${shard}`, (lease) =>
    client.leases.update(lease, { annotations: { [PINNED_TO_ANNOTATION]: replica } }),
  );
}

export async function unpinShard(client: FleetClient, shard: string): Promise<void> {
  const fleet = await readFleet(client);
  await requireShard(client, fleet, shard);
  await withFreshLease(client, shardLeaseName(shard), `unpin shard ${shard}`, (lease) =>
    client.leases.update(lease, { annotations: { [PINNED_TO_ANNOTATION]: null } }),
  );
}

/** Forgets every operator move, so the manager's next pass balances the fleet afresh. */
export async function rebalance(client: FleetClient): Promise<string[]> {
  const fleet = await readFleet(client);
  const marked = fleet.shards.filter((s) => s.movedByOperator).map((s) => s.shard);
  for (const shard of marked) {
    await withFreshLease(client, shardLeaseName(shard), `rebalance shard ${shard}`, (lease) =>
      client.leases.update(lease, { annotations: { [MOVED_BY_OPERATOR_ANNOTATION]: null } }),
    );
  }
  return marked;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Called on each poll with a one-line progress description. */
  readonly onProgress?: (line: string) => void;
}

/** Polls the fleet until `done` says so; a timeout is exit code 1 with what was still pending. */
export async function waitForFleet(
  client: FleetClient,
  options: WaitOptions,
  done: (fleet: FleetStatus) => { done: boolean; progress: string },
): Promise<FleetStatus> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const fleet = await readFleet(client);
    const state = done(fleet);
    options.onProgress?.(state.progress);
    if (state.done) return fleet;
    if (Date.now() > deadline)
      throw new CliError(
        `timed out after ${Math.round(options.timeoutMs / 1000)} s: ${state.progress}`,
        ExitCode.failed,
      );
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
