/**
 * The one parser of the replicas' ownership audit files (`src/controller/audit.ts` writes them):
 * the records `checkInvariants` (invariants.ts) judges.
 */
import type { RoundOutcome } from '../src/controller/round.js';
import type { OwnershipRecord, TaskStartRecord } from './invariants.js';

const OUTCOMES: ReadonlySet<string> = new Set<RoundOutcome>([
  'success',
  'requeue',
  'conflict',
  'error',
  'skipped',
  'invalid',
  'fenced',
]);

function isTime(value: unknown): value is number | string {
  return typeof value === 'number' || typeof value === 'string';
}

/**
 * Parses one replica's audit file (JSON per line, the format of `src/controller/audit.ts`; `shard`
 * a number or a string). Malformed lines (a half-written last line of a killed replica) are
 * skipped; an unknown `outcome` is dropped (the round then counts as having acted).
 */
export function parseReplicaAudit(text: string): { ownership: OwnershipRecord[]; taskStarts: TaskStartRecord[] } {
  const ownership: OwnershipRecord[] = [];
  const taskStarts: TaskStartRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null) continue;
    const r = parsed as Record<string, unknown>;
    const shard = typeof r.shard === 'number' ? String(r.shard) : r.shard;
    if (typeof shard !== 'string' || typeof r.replica !== 'string' || typeof r.key !== 'string' || !isTime(r.at))
      continue;
    if (r.t === 'start' || r.t === 'end') {
      const outcome =
        r.t === 'end' && typeof r.outcome === 'string' && OUTCOMES.has(r.outcome)
          ? (r.outcome as RoundOutcome)
          : undefined;
      const provenAt =
        r.t === 'end' && typeof r.provenAt === 'number' && Number.isFinite(r.provenAt) ? r.provenAt : undefined;
      ownership.push({
        t: r.t,
        shard,
        replica: r.replica,
        key: r.key,
        at: r.at,
        ...(outcome !== undefined ? { outcome } : {}),
        ...(provenAt !== undefined ? { provenAt } : {}),
      });
    } else if (
      r.t === 'task' &&
      typeof r.node === 'string' &&
      typeof r.attempt === 'number' &&
      Number.isInteger(r.attempt) &&
      typeof r.plugin === 'string'
    ) {
      taskStarts.push({
        shard,
        replica: r.replica,
        key: r.key,
        ...(typeof r.uid === 'string' ? { uid: r.uid } : {}),
        node: r.node,
        attempt: r.attempt,
        plugin: r.plugin,
        at: r.at,
      });
    }
  }
  return { ownership, taskStarts };
}

/** The round lines of one replica's audit file (see {@link parseReplicaAudit}). */
export function parseOwnershipAudit(text: string): OwnershipRecord[] {
  return parseReplicaAudit(text).ownership;
}
