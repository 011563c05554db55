/**
 * The shard assignment algorithm: pure, no client, no clock of its own.
 *
 * Given the shards, the replicas (with liveness, draining and join time), the current intended
 * owners, pins and optional per-shard load weights, it returns the new intended owner of every
 * shard and the list of moves. Properties (each covered by tests):
 * - balanced: without weights and pins, owned counts differ by at most one;
 * - sticky: a shard keeps its owner unless balance, a pin, a drain or a dead owner requires a
 *   move, so a new replica takes only its fair share and nothing else moves;
 * - pins honoured while the pinned replica is live (pinned shards count toward its share);
 * - weighted (optional): moves shards from the most to the least loaded replica while that
 *   narrows the spread by more than a hysteresis band, so small load changes move nothing;
 * - join delay: a replica becomes eligible `joinDelayMs` after it joined, so a rolling restart
 *   does not move shards twice (once to the new pod, once when the next pod restarts).
 */

export interface ReplicaInfo {
  readonly id: string;
  /** Its member lease is unexpired. */
  readonly live: boolean;
  /** An operator drained it: it keeps nothing and gets nothing. */
  readonly draining: boolean;
  /** When it joined (ms since epoch), for the join delay. */
  readonly joinedAtMs: number;
}

export interface AssignmentInput {
  readonly shards: readonly string[];
  readonly replicas: readonly ReplicaInfo[];
  /** Current intended owner per shard (the `flotilla.io/assigned-to` annotation). */
  readonly current: ReadonlyMap<string, string>;
  /** Shard → replica it must run on while that replica is live and not draining. */
  readonly pins?: ReadonlyMap<string, string>;
  /** Per-shard load (queue depth, workflow count); absent = every shard weighs 1 and counts balance. */
  readonly weights?: ReadonlyMap<string, number>;
  readonly nowMs: number;
  /** @defaultValue 0 */
  readonly joinDelayMs?: number;
  /** Weighted mode only: moves happen when they narrow the load spread by more than this fraction
   * of the mean load per replica. @defaultValue 0.1 */
  readonly hysteresis?: number;
  /** Shards to keep where they are when balance needs a replica to give some up, with a priority
   * (higher is kept longer): e.g. shards an operator moved by hand, by move time, so the balancer
   * moves another shard rather than undo the latest move. */
  readonly preferKeep?: ReadonlyMap<string, number>;
}

export type MoveReason = 'unassigned' | 'owner-gone' | 'drain' | 'pin' | 'balance';

export interface Move {
  readonly shard: string;
  readonly from?: string;
  readonly to?: string;
  readonly reason: MoveReason;
}

export interface AssignmentResult {
  /** New intended owner per shard; a shard is absent when no replica is eligible. */
  readonly assignment: Map<string, string>;
  readonly moves: Move[];
}

export function computeAssignment(input: AssignmentInput): AssignmentResult {
  const eligible = eligibleReplicas(input);
  const eligibleIds = new Set(eligible.map((r) => r.id));
  const assignment = new Map<string, string>();
  const reasons = new Map<string, MoveReason>();
  const orphans: string[] = [];

  for (const shard of input.shards) {
    const pinnedTo = input.pins?.get(shard);
    const owner = input.current.get(shard);
    if (pinnedTo !== undefined && eligibleIds.has(pinnedTo)) {
      assignment.set(shard, pinnedTo);
      if (owner !== pinnedTo) reasons.set(shard, 'pin');
    } else if (owner !== undefined && eligibleIds.has(owner)) {
      assignment.set(shard, owner);
    } else {
      orphans.push(shard);
      reasons.set(shard, orphanReason(owner, input.replicas));
    }
  }

  if (eligible.length > 0) {
    if (input.weights) balanceByWeight(input, eligible, assignment, orphans, reasons);
    else balanceByCount(input, eligible, assignment, orphans, reasons);
  }

  const moves: Move[] = [];
  for (const shard of input.shards) {
    const from = input.current.get(shard);
    const to = assignment.get(shard);
    if (from === to) continue;
    const move: Move = { shard, reason: reasons.get(shard) ?? 'balance' };
    moves.push({ ...move, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  }
  return { assignment, moves };
}

function eligibleReplicas(input: AssignmentInput): ReplicaInfo[] {
  const joinDelay = input.joinDelayMs ?? 0;
  return input.replicas
    .filter((r) => r.live && !r.draining && r.joinedAtMs + joinDelay <= input.nowMs)
    .sort((a, b) => compareIds(a.id, b.id));
}

function orphanReason(owner: string | undefined, replicas: readonly ReplicaInfo[]): MoveReason {
  if (owner === undefined) return 'unassigned';
  const replica = replicas.find((r) => r.id === owner);
  return replica?.live && replica.draining ? 'drain' : 'owner-gone';
}

/**
 * Count balancing: quotas by water-filling over the eligible replicas (pinned shards are a
 * floor), preferring to give the larger quotas to replicas that already hold more, then
 * releasing each replica's excess unpinned shards and handing them, with the orphans, to the
 * replicas below quota.
 */
function balanceByCount(
  input: AssignmentInput,
  eligible: readonly ReplicaInfo[],
  assignment: Map<string, string>,
  orphans: string[],
  reasons: Map<string, MoveReason>,
): void {
  const held = new Map<string, string[]>(eligible.map((r) => [r.id, []]));
  const pinnedCount = new Map<string, number>(eligible.map((r) => [r.id, 0]));
  for (const shard of input.shards) {
    const owner = assignment.get(shard);
    if (owner === undefined) continue;
    if (input.pins?.get(shard) === owner) pinnedCount.set(owner, (pinnedCount.get(owner) ?? 0) + 1);
    else held.get(owner)?.push(shard);
  }

  const quota = new Map<string, number>(eligible.map((r) => [r.id, pinnedCount.get(r.id) ?? 0]));
  let remaining = input.shards.length - sum(quota.values());
  // Fill the lowest quota first; among equals prefer the replica already holding the most, so
  // the replicas that keep the extra shard are the ones that have it now (stickiness).
  while (remaining > 0) {
    let best: ReplicaInfo | undefined;
    for (const r of eligible) {
      if (best === undefined) {
        best = r;
        continue;
      }
      const q = quota.get(r.id) ?? 0;
      const bq = quota.get(best.id) ?? 0;
      if (q < bq || (q === bq && (held.get(r.id)?.length ?? 0) > (held.get(best.id)?.length ?? 0))) best = r;
    }
    if (best === undefined) break;
    quota.set(best.id, (quota.get(best.id) ?? 0) + 1);
    remaining -= 1;
  }

  const pool = [...orphans];
  for (const r of eligible) {
    const shards = held.get(r.id) ?? [];
    const allowed = (quota.get(r.id) ?? 0) - (pinnedCount.get(r.id) ?? 0);
    // Shards are released from the end of this order: unkept shards first, highest-numbered first
    // (deterministic and stable across runs); then kept shards, lowest priority first.
    const keep = input.preferKeep;
    const priority = (shard: string) => keep?.get(shard) ?? Number.NEGATIVE_INFINITY;
    shards.sort((a, b) => priority(b) - priority(a) || compareIds(a, b));
    while (shards.length > allowed) {
      const shard = shards.pop();
      if (shard === undefined) break;
      assignment.delete(shard);
      reasons.set(shard, 'balance');
      pool.push(shard);
    }
  }
  pool.sort(compareIds);
  for (const shard of pool) {
    let target: ReplicaInfo | undefined;
    let targetDeficit = 0;
    for (const r of eligible) {
      const owned = (held.get(r.id)?.length ?? 0) + (pinnedCount.get(r.id) ?? 0);
      const deficit = (quota.get(r.id) ?? 0) - owned;
      if (deficit > targetDeficit) {
        target = r;
        targetDeficit = deficit;
      }
    }
    if (target === undefined) break; // cannot happen: quotas sum to the shard count
    assignment.set(shard, target.id);
    held.get(target.id)?.push(shard);
  }
}

/**
 * Load balancing: orphans go to the least loaded replica (heaviest first), then single-shard
 * moves from the most to the least loaded replica while a move narrows their gap by more than
 * the hysteresis band. Bounded by the shard count, so it always ends.
 */
function balanceByWeight(
  input: AssignmentInput,
  eligible: readonly ReplicaInfo[],
  assignment: Map<string, string>,
  orphans: string[],
  reasons: Map<string, MoveReason>,
): void {
  const weight = (shard: string): number => Math.max(0, input.weights?.get(shard) ?? 0);
  const load = new Map<string, number>(eligible.map((r) => [r.id, 0]));
  for (const [shard, owner] of assignment) load.set(owner, (load.get(owner) ?? 0) + weight(shard));

  const byWeightDesc = (a: string, b: string) => weight(b) - weight(a) || compareIds(a, b);
  for (const shard of [...orphans].sort(byWeightDesc)) {
    const target = argMin(eligible, (r) => [load.get(r.id) ?? 0, countOwned(assignment, r.id)]);
    assignment.set(shard, target.id);
    load.set(target.id, (load.get(target.id) ?? 0) + weight(shard));
  }

  const totalLoad = sum(load.values());
  const band = (input.hysteresis ?? 0.1) * (totalLoad / eligible.length);
  for (let i = 0; i < input.shards.length; i++) {
    const heavy = argMin(eligible, (r) => [-(load.get(r.id) ?? 0), 0]);
    const light = argMin(eligible, (r) => [load.get(r.id) ?? 0, 0]);
    const gap = (load.get(heavy.id) ?? 0) - (load.get(light.id) ?? 0);
    if (heavy.id === light.id || gap <= band) break;
    // The movable shard whose weight best halves the gap; a move must shrink the gap by > band.
    let best: string | undefined;
    let bestGap = gap;
    for (const [shard, owner] of assignment) {
      if (owner !== heavy.id || input.pins?.get(shard) === owner) continue;
      const newGap = Math.abs(gap - 2 * weight(shard));
      if (
        newGap < bestGap - band &&
        (best === undefined || newGap < bestGap || (newGap === bestGap && compareIds(shard, best) < 0))
      ) {
        best = shard;
        bestGap = newGap;
      }
    }
    if (best === undefined) break;
    assignment.set(best, light.id);
    if (!reasons.has(best)) reasons.set(best, 'balance');
    load.set(heavy.id, (load.get(heavy.id) ?? 0) - weight(best));
    load.set(light.id, (load.get(light.id) ?? 0) + weight(best));
  }
}

function countOwned(assignment: ReadonlyMap<string, string>, replica: string): number {
  let n = 0;
  for (const owner of assignment.values()) if (owner === replica) n += 1;
  return n;
}

/** The element with the smallest key (lexicographic over the tuple), ties broken by id. */
function argMin(replicas: readonly ReplicaInfo[], key: (r: ReplicaInfo) => [number, number]): ReplicaInfo {
  let best = replicas[0];
  if (best === undefined) throw new RangeError('argMin over no replicas');
  let bestKey = key(best);
  for (const r of replicas.slice(1)) {
    const k = key(r);
    if (
      k[0] < bestKey[0] ||
      (k[0] === bestKey[0] && (k[1] < bestKey[1] || (k[1] === bestKey[1] && compareIds(r.id, best.id) < 0)))
    ) {
      best = r;
      bestKey = k;
    }
  }
  return best;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Natural order, so shard "10" sorts after "9". */
export function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
