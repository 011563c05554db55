/**
 * The live view as text, a pure function of a {@link ViewState}: replicas, shards (a table when
 * few, a compact grid when many), workflows by phase with a progress bar, throughput, last events.
 */
import Table from 'cli-table3';
import type { ViewState } from './model.js';
import { progressBar } from './progress.js';

const plainStyle = (): { head: string[]; border: string[]; compact: boolean } => ({
  head: [],
  border: [],
  compact: true,
});

export interface RenderOptions {
  /** Terminal width. @defaultValue 100 */
  width?: number;
  /** Shards above this count are drawn as a grid. @defaultValue 12 */
  gridAbove?: number;
}

function n(value: number | null, digits = 0): string {
  return value === null ? '-' : value.toFixed(digits);
}

function shortReplica(name: string | null): string {
  if (name === null) return '-';
  const m = /^replica-(\d+)$/.exec(name);
  return m ? `r${m[1]}` : name;
}

function replicasSection(state: ViewState): string {
  if (state.replicas.length === 0) return 'replicas: none running';
  const table = new Table({
    head: ['replica', 'process', 'lease', 'shards', 'rounds/s', 'restarts'],
    style: plainStyle(),
  });
  for (const r of state.replicas) {
    table.push([
      r.name,
      r.process === 'up' ? `up (pid ${r.pid ?? '-'})` : r.process,
      r.live === null ? '?' : r.live ? 'live' : 'expired',
      String(r.shards),
      n(r.roundsPerSecond, 1),
      String(r.restarts),
    ]);
  }
  return table.toString();
}

function shardsSection(state: ViewState, options: RenderOptions): string {
  if (state.shards.length === 0) return 'shards: no shard leases yet';
  if (state.shards.length <= (options.gridAbove ?? 12)) {
    const table = new Table({ head: ['shard', 'owner', 'workflows', 'queue'], style: plainStyle() });
    for (const s of state.shards)
      table.push([s.shard, `${s.owner ?? '-'}${s.moving ? ' (moving)' : ''}`, n(s.workflows), n(s.queueDepth)]);
    return table.toString();
  }
  const cells = state.shards.map(
    (s) =>
      `${s.shard.padStart(3)}:${shortReplica(s.owner).padEnd(3)}${s.moving ? '*' : ' '}${n(s.workflows).padStart(4)}/${n(s.queueDepth).padEnd(3)}`,
  );
  const cellWidth = 18;
  const perRow = Math.max(1, Math.floor((options.width ?? 100) / cellWidth));
  const rows: string[] = ['shards (shard:owner workflows/queue, * = moving)'];
  for (let i = 0; i < cells.length; i += perRow)
    rows.push(
      cells
        .slice(i, i + perRow)
        .join(' ')
        .trimEnd(),
    );
  return rows.join('\n');
}

const phaseOrder = ['Pending', 'Running', 'Succeeding', 'Failing', 'Succeeded', 'Failed', 'Aborted', 'TimedOut'];

function workflowsSection(state: ViewState): string {
  const phases = Object.entries(state.phases)
    .sort(([a], [b]) => (phaseOrder.indexOf(a) + 1 || 99) - (phaseOrder.indexOf(b) + 1 || 99))
    .map(([phase, count]) => `${phase} ${count}`);
  return [
    `workflows  ${phases.length > 0 ? phases.join(' · ') : 'none yet'}`,
    `finished   ${progressBar(state.finished, state.submitted)}`,
    `throughput ${state.throughput.toFixed(1)} wf/s`,
  ].join('\n');
}

/** The whole screen (no trailing newline). */
export function renderView(state: ViewState, options: RenderOptions = {}): string {
  const manager =
    state.manager === null
      ? 'manager: not running'
      : `manager: ${state.manager.live ? `leader ${state.manager.leader ?? '?'}` : 'no live leader'}`;
  const parts = [`flotilla sandbox · up ${Math.floor(state.uptimeSeconds)}s · ${manager}`];
  for (const note of state.notes) parts.push(`! ${note}`);
  parts.push(replicasSection(state), shardsSection(state, options), workflowsSection(state));
  parts.push(
    [
      'last events',
      ...(state.events.length > 0 ? state.events.map((e) => `  ${e.at.slice(11, 19)} ${e.text}`) : ['  (none yet)']),
    ].join('\n'),
  );
  return parts.join('\n\n');
}

/** One line for logs and `--no-ui`. */
export function renderLine(state: ViewState): string {
  const live = state.replicas.filter((r) => r.process === 'up').length;
  const phases = Object.entries(state.phases)
    .map(([p, c]) => `${p}=${c}`)
    .join(' ');
  return `[${Math.floor(state.uptimeSeconds)}s] replicas ${live}/${state.replicas.length} up · shards ${state.shards.filter((s) => s.owner !== null).length}/${state.shards.length} owned · finished ${state.finished}/${state.submitted} · ${state.throughput.toFixed(1)} wf/s · ${phases || 'no workflows'}`;
}
