/** Human output of `shardctl status`: two tables (cli-table3) and a one-line summary. */
import Table from 'cli-table3';
import type { FleetStatus } from './fleet-status.js';

const dash = (value: string | number | null) => (value === null ? '-' : String(value));

export function renderFleet(fleet: FleetStatus): string {
  const replicas = new Table({ head: ['REPLICA', 'LIVE', 'DRAINING', 'OWNED', 'ASSIGNED', 'LAST RENEW'], style: { head: [], border: [] } });
  for (const r of fleet.replicas) {
    replicas.push([r.replica, r.live ? 'yes' : 'NO', r.draining ? 'yes' : 'no', r.shardsOwned, r.shardsAssigned, r.lastRenewSecondsAgo === null ? '-' : `${r.lastRenewSecondsAgo}s ago`]);
  }
  const shards = new Table({ head: ['SHARD', 'OWNER', 'ASSIGNED TO', 'EPOCH', 'LEASE AGE', 'WORKFLOWS', 'QUEUE', 'NOTES'], style: { head: [], border: [] } });
  for (const s of fleet.shards) {
    const notes = [s.moving ? 'moving' : '', s.pinnedTo ? `pinned to ${s.pinnedTo}` : '', s.movedByOperator ? 'moved by operator' : ''].filter(Boolean).join(', ');
    shards.push([s.shard, dash(s.owner), dash(s.assignedTo), s.epoch, s.leaseAgeSeconds === null ? '-' : `${s.leaseAgeSeconds}s`, dash(s.workflows), dash(s.queueDepth), notes]);
  }
  const moving = fleet.shards.filter((s) => s.moving).length;
  const summary =
    `fleet ${fleet.namespace}: manager ${fleet.manager.leader ?? 'none'}${fleet.manager.live ? '' : ' (not live)'}, ` +
    `${fleet.replicas.filter((r) => r.live).length}/${fleet.replicas.length} replicas live, ${fleet.shards.length} shards, ${moving} moving`;
  return `${summary}\n\n${replicas.toString()}\n\n${shards.toString()}\n`;
}
