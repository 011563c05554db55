/** `/`: the replicas (from their member Leases), the shard grid and the moves seen since the page opened. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { follow } from './api.js';
import { ago } from './format.js';
import type { Fleet } from './types.js';

function phases(counts: Record<string, number> | undefined) {
  const entries = Object.entries(counts ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return html`<span class="muted">no workflows</span>`;
  return entries.map(
    ([phase, n]) => html`<span class="phase-count" data-phase=${phase} data-count=${n}>${phase} ${n}</span> `,
  );
}

function managerLine(fleet: Fleet) {
  const manager = `${fleet.manager.leader ?? 'none'}${fleet.manager.live ? '' : ' (not live)'}`;
  return html`<small class="muted">${`namespace ${fleet.namespace} · manager ${manager}`}</small>`;
}

export function FleetPage() {
  const [fleet, setFleet] = useState<Fleet | null>(null);
  const [live, setLive] = useState(false);
  useEffect(() => follow<Fleet>('/api/stream/fleet', setFleet, setLive), []);
  if (!fleet) return html`<p class="muted">loading the fleet…</p>`;
  return html`<section class="fleet" data-live=${String(live)}>
    <h1>Fleet ${managerLine(fleet)}</h1>
    <h2>Replicas</h2>
    <table class="replicas">
      <thead>
        <tr>
          <th>replica</th>
          <th>state</th>
          <th>shards held</th>
          <th>assigned</th>
          <th>rounds/s</th>
          <th>last renew</th>
        </tr>
      </thead>
      <tbody>
        ${fleet.replicas.map(
          (r) =>
            html`<tr data-replica=${r.replica} data-rounds-per-second=${r.roundsPerSecond ?? ''}>
              <td>${r.replica}</td>
              <td>
                <span class=${`badge ${r.live ? 'ok' : 'bad'}`}
                  >${r.live ? (r.draining ? 'draining' : 'live') : 'expired'}</span
                >
              </td>
              <td>${r.shardsOwned}</td>
              <td>${r.shardsAssigned}</td>
              <td class="rounds">${r.roundsPerSecond === null ? '-' : r.roundsPerSecond.toFixed(1)}</td>
              <td>${r.lastRenewSecondsAgo === null ? '-' : `${r.lastRenewSecondsAgo}s ago`}</td>
            </tr>`,
        )}
        ${
          fleet.replicas.length === 0
            ? html`<tr>
                <td colspan="6" class="muted">no member leases in ${fleet.namespace}</td>
              </tr>`
            : ''
        }
      </tbody>
    </table>
    <h2>Shards</h2>
    <div class="shards">
      ${fleet.shards.map(
        (s) =>
          html`<div class="shard" data-shard=${s.shard} data-owner=${s.owner ?? ''} data-queue=${s.queueDepth ?? ''}>
            <div class="shard-head">
              <b>shard ${s.shard}</b
              >${s.moving ? html` <span class="badge warn">moving → ${s.assignedTo ?? '?'}</span>` : ''}
            </div>
            <div>owner <b>${s.owner ?? 'none'}</b> · epoch ${s.epoch}</div>
            <div>
              queue ${s.queueDepth ?? '-'} · workflows ${s.workflows ?? '-'} · rounds/s
              ${s.roundsPerSecond === null ? '-' : s.roundsPerSecond.toFixed(1)}
            </div>
            <div class="phases">${phases(fleet.phasesByShard[s.shard])}</div>
          </div>`,
      )}
      ${fleet.shards.length === 0 ? html`<p class="muted">no shard leases (a static fleet has none)</p>` : ''}
    </div>
    ${fleet.phasesByShard['-'] ? html`<p>Unsharded: ${phases(fleet.phasesByShard['-'])}</p>` : ''}
    <h2>Moves</h2>
    <ul class="moves">
      ${[...fleet.moves]
        .reverse()
        .map((m) => html`<li>${ago(m.at)} · shard ${m.shard}: ${m.from ?? 'none'} → ${m.to ?? 'none'}</li>`)}
      ${fleet.moves.length === 0 ? html`<li class="muted">none since the console started</li>` : ''}
    </ul>
  </section>`;
}
