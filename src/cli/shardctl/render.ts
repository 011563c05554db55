/**
 * Output of `shardctl status`: a summary line and two borderless tables (replicas, shards) as
 * kubectl prints tables, or the `FleetStatus` as JSON/YAML, or `replica/<id>` and `shard/<id>`
 * names. `--no-headers` leaves out the summary and the header lines.
 */
import type { FleetStatus, ReplicaStatus, ShardStatus } from '../../../shard-manager/fleet-status.js';
import { renderData, renderTable, type Column, type OutputFormat } from '../output.js';

const dash = (value: string | number | null) => (value === null ? '-' : String(value));

const replicaColumns: readonly Column<ReplicaStatus>[] = [
  { header: 'replica', value: (r) => r.replica },
  { header: 'live', value: (r) => (r.live ? 'yes' : 'NO') },
  { header: 'draining', value: (r) => (r.draining ? 'yes' : 'no') },
  { header: 'owned', value: (r) => String(r.shardsOwned) },
  { header: 'assigned', value: (r) => String(r.shardsAssigned) },
  {
    header: 'last renew',
    value: (r) => (r.lastRenewSecondsAgo === null ? '-' : `${r.lastRenewSecondsAgo}s ago`),
    wide: true,
  },
];

const shardColumns: readonly Column<ShardStatus>[] = [
  { header: 'shard', value: (s) => s.shard },
  { header: 'owner', value: (s) => dash(s.owner) },
  { header: 'assigned to', value: (s) => dash(s.assignedTo) },
  { header: 'epoch', value: (s) => String(s.epoch) },
  { header: 'lease age', value: (s) => (s.leaseAgeSeconds === null ? '-' : `${s.leaseAgeSeconds}s`), wide: true },
  { header: 'workflows', value: (s) => dash(s.workflows) },
  { header: 'queue', value: (s) => dash(s.queueDepth) },
  { header: 'pinned to', value: (s) => dash(s.pinnedTo), wide: true },
  {
    header: 'notes',
    value: (s) =>
      [
        s.moving ? 'moving' : '',
        s.pinnedTo ? `pinned to ${s.pinnedTo}` : '',
        s.movedByOperator ? 'moved by operator' : '',
      ]
        .filter(Boolean)
        .join(', '),
  },
];

export function fleetSummary(fleet: FleetStatus): string {
  const moving = fleet.shards.filter((s) => s.moving).length;
  return (
    `fleet ${fleet.namespace}: manager ${fleet.manager.leader ?? 'none'}${fleet.manager.live ? '' : ' (not live)'}, ` +
    `${fleet.replicas.filter((r) => r.live).length}/${fleet.replicas.length} replicas live, ${fleet.shards.length} shards, ${moving} moving`
  );
}

export function renderFleet(fleet: FleetStatus, format: OutputFormat = 'table', headers = true): string {
  switch (format) {
    case 'json':
    case 'yaml':
      return renderData(fleet, format);
    case 'name':
      return [
        ...fleet.replicas.map((r) => `replica/${r.replica}\n`),
        ...fleet.shards.map((s) => `shard/${s.shard}\n`),
      ].join('');
    case 'table':
    case 'wide': {
      const options = { wide: format === 'wide', headers };
      const tables = [
        renderTable(replicaColumns, fleet.replicas, options),
        renderTable(shardColumns, fleet.shards, options),
      ];
      return [...(headers ? [`${fleetSummary(fleet)}\n`] : []), ...tables.filter((t) => t !== '')].join('\n');
    }
  }
}
