/** Chaos's choice of victim: never a spared replica, never the last live one. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chaos } from './chaos.js';

/** A fleet of names: `killReplica` records the victim and marks it dead. */
function fleetOf(names: string[]): {
  live: Set<string>;
  killed: string[];
  fleet: { liveReplicaNames(): string[]; killReplica(name: string): boolean };
} {
  const live = new Set(names);
  const killed: string[] = [];
  return {
    live,
    killed,
    fleet: {
      liveReplicaNames: () => [...live],
      killReplica: (name) => {
        killed.push(name);
        return live.delete(name);
      },
    },
  };
}

test('chaos kills only the replicas not spared, and never the last live one', async () => {
  const { fleet, killed, live } = fleetOf(['replica-1', 'replica-2', 'replica-3']);
  let draw = 0;
  // Draws spread over [0, 1): without the spare, each replica would be picked in turn.
  const chaos = new Chaos({ fleet, spare: ['replica-1'], minMs: 1, maxMs: 2, random: () => (draw++ % 3) / 3 });
  const stop = new AbortController();
  chaos.start(stop.signal);
  await new Promise((resolve) => setTimeout(resolve, 60));
  stop.abort();
  assert.deepEqual([...live], ['replica-1'], 'the spared replica is the one left');
  assert.equal(killed.includes('replica-1'), false);
  assert.equal(chaos.kills, 2);
});
