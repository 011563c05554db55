/**
 * The fleet's invariants, checked after a run from what was recorded (pure: plain data in, a typed
 * report out; the sandbox and the fault suite gather the data):
 *
 *  1. `expected-phase`     every workflow reached its expected phase
 *  2. `pod-launched-twice` no task attempt launched twice (successful pod creates per name = 1)
 *  3. `shard-overlap`      no two replicas ran rounds on one shard at the same time
 *  4. `status-backwards`   a workflow's phase never went backwards; node attempts never decreased
 *  5. `event-duplicate` / `event-terminal` events are unique by id, and each finished workflow's
 *     workflow-scope events end in its terminal phase
 */
import { isTerminalWorkflowPhase } from '../api/status.js';

export type InvariantCode = 'expected-phase' | 'pod-launched-twice' | 'shard-overlap' | 'status-backwards' | 'event-duplicate' | 'event-terminal';

export interface Violation {
  code: InvariantCode;
  /** `<namespace>/<name>` of the workflow, the pod, or `shard <id>`. */
  subject: string;
  detail: string;
}

export interface FinalWorkflow {
  namespace: string;
  name: string;
  /** Null: the workflow was not found at the end. */
  phase: string | null;
  expectedPhase: string;
}

/** A pod create as the API server audited it. */
export interface PodCreate {
  namespace: string;
  name: string;
  /** HTTP code of the answer: only 2xx is a launch (409 AlreadyExists is the idempotent repeat). */
  code: number;
}

/** One line of a replica's ownership audit (`--audit-log`). */
export interface OwnershipRecord {
  t: 'start' | 'end';
  shard: string;
  replica: string;
  key: string;
  /** Epoch milliseconds or an ISO time. */
  at: number | string;
}

/** One observed status of a workflow, in the order the watch delivered them. */
export interface StatusObservation {
  namespace: string;
  name: string;
  phase?: string | undefined;
  /** Node path → attempts. */
  attempts?: Record<string, number> | undefined;
}

export interface RecordedEvent {
  id: string;
  scope: string;
  namespace: string;
  name: string;
  phase: string;
  occurredAt: string;
}

export interface InvariantInput {
  workflows: readonly FinalWorkflow[];
  podCreates?: readonly PodCreate[];
  ownership?: readonly OwnershipRecord[];
  history?: readonly StatusObservation[];
  events?: readonly RecordedEvent[];
}

export interface InvariantReport {
  ok: boolean;
  violations: Violation[];
  /** What was checked (an invariant is skipped when its input was not given). */
  checked: InvariantCode[];
  counts: { workflows: number; podCreates: number; distinctPods: number; rounds: number; observations: number; events: number };
}

function phaseRank(phase: string | undefined): number {
  switch (phase) {
    case undefined:
    case '':
    case 'Pending':
      return 0;
    case 'Running':
      return 1;
    case 'Succeeding':
    case 'Failing':
      return 2;
    default:
      return isTerminalWorkflowPhase(phase) ? 3 : 1;
  }
}

function time(at: number | string): number {
  return typeof at === 'number' ? at : Date.parse(at);
}

function checkExpectedPhases(workflows: readonly FinalWorkflow[], out: Violation[]): void {
  for (const w of workflows) {
    if (w.phase !== w.expectedPhase) out.push({ code: 'expected-phase', subject: `${w.namespace}/${w.name}`, detail: `ended ${w.phase ?? 'missing'}, expected ${w.expectedPhase}` });
  }
}

function checkPodCreates(creates: readonly PodCreate[], out: Violation[]): number {
  const launched = new Map<string, number>();
  for (const c of creates) {
    if (c.code < 200 || c.code >= 300) continue;
    const key = `${c.namespace}/${c.name}`;
    launched.set(key, (launched.get(key) ?? 0) + 1);
  }
  for (const [pod, n] of launched) if (n > 1) out.push({ code: 'pod-launched-twice', subject: pod, detail: `created ${n} times` });
  return launched.size;
}

interface Round {
  replica: string;
  key: string;
  start: number;
  end: number;
}

/** Pairs start/end lines per (replica, shard, key), an end with the latest start; a start with no end (the replica died) is ignored. */
function roundsOf(records: readonly OwnershipRecord[]): Map<string, Round[]> {
  const open = new Map<string, number[]>();
  const byShard = new Map<string, Round[]>();
  // Stable: lines of one replica at the same millisecond keep their file order (start, then end).
  const sorted = [...records].sort((a, b) => time(a.at) - time(b.at));
  for (const r of sorted) {
    const id = `${r.replica}\u0000${r.shard}\u0000${r.key}`;
    if (r.t === 'start') {
      open.set(id, [...(open.get(id) ?? []), time(r.at)]);
      continue;
    }
    const starts = open.get(id);
    // The latest open start: an older one without an end is a round cut short by a crash (the
    // replica restarts under the same name), not the start of this one.
    const start = starts?.pop();
    if (starts) starts.length = 0;
    if (start === undefined) continue;
    const rounds = byShard.get(r.shard) ?? [];
    rounds.push({ replica: r.replica, key: r.key, start, end: time(r.at) });
    byShard.set(r.shard, rounds);
  }
  return byShard;
}

function checkOwnership(records: readonly OwnershipRecord[], out: Violation[]): number {
  let total = 0;
  for (const [shard, rounds] of roundsOf(records)) {
    total += rounds.length;
    rounds.sort((a, b) => a.start - b.start);
    let active: Round[] = [];
    let reported = 0;
    for (const round of rounds) {
      active = active.filter((r) => r.end > round.start);
      const other = active.find((r) => r.replica !== round.replica);
      if (other && reported < 5) {
        out.push({
          code: 'shard-overlap',
          subject: `shard ${shard}`,
          detail: `${other.replica} ran ${other.key} until ${new Date(other.end).toISOString()} while ${round.replica} started ${round.key} at ${new Date(round.start).toISOString()}`,
        });
        reported++;
      }
      active.push(round);
    }
  }
  return total;
}

function checkHistory(history: readonly StatusObservation[], out: Violation[]): void {
  const last = new Map<string, StatusObservation>();
  const reported = new Set<string>();
  for (const obs of history) {
    const key = `${obs.namespace}/${obs.name}`;
    const prev = last.get(key);
    if (prev && !reported.has(key)) {
      const before = phaseRank(prev.phase);
      const now = phaseRank(obs.phase);
      if (now < before || (before === 3 && prev.phase !== obs.phase)) {
        out.push({ code: 'status-backwards', subject: key, detail: `phase went from ${prev.phase ?? '(none)'} to ${obs.phase ?? '(none)'}` });
        reported.add(key);
      } else {
        for (const [node, attempts] of Object.entries(prev.attempts ?? {})) {
          const nowAttempts = obs.attempts?.[node];
          if (nowAttempts !== undefined && nowAttempts < attempts) {
            out.push({ code: 'status-backwards', subject: key, detail: `node ${node} attempts went from ${attempts} to ${nowAttempts}` });
            reported.add(key);
            break;
          }
        }
      }
    }
    // A node that disappeared keeps its last attempts (a status must not forget them either).
    last.set(key, { ...obs, attempts: { ...prev?.attempts, ...obs.attempts } });
  }
}

function checkEvents(events: readonly RecordedEvent[], workflows: readonly FinalWorkflow[], out: Violation[]): void {
  const seen = new Set<string>();
  const lastWorkflowEvent = new Map<string, RecordedEvent>();
  for (const e of events) {
    if (seen.has(e.id)) out.push({ code: 'event-duplicate', subject: `${e.namespace}/${e.name}`, detail: `event ${e.id} stored twice` });
    seen.add(e.id);
    if (e.scope !== 'workflow') continue;
    const key = `${e.namespace}/${e.name}`;
    const prev = lastWorkflowEvent.get(key);
    if (!prev || Date.parse(e.occurredAt) >= Date.parse(prev.occurredAt)) lastWorkflowEvent.set(key, e);
  }
  for (const w of workflows) {
    if (w.phase === null || !isTerminalWorkflowPhase(w.phase)) continue;
    const key = `${w.namespace}/${w.name}`;
    const lastEvent = lastWorkflowEvent.get(key);
    if (lastEvent?.phase !== w.phase) out.push({ code: 'event-terminal', subject: key, detail: `ended ${w.phase} but its last workflow event is ${lastEvent ? `${lastEvent.phase} (${lastEvent.id})` : 'missing'}` });
  }
}

/** Checks every invariant whose input is given. */
export function checkInvariants(input: InvariantInput): InvariantReport {
  const violations: Violation[] = [];
  const checked: InvariantCode[] = ['expected-phase'];
  checkExpectedPhases(input.workflows, violations);
  let distinctPods = 0;
  if (input.podCreates) {
    checked.push('pod-launched-twice');
    distinctPods = checkPodCreates(input.podCreates, violations);
  }
  let rounds = 0;
  if (input.ownership) {
    checked.push('shard-overlap');
    rounds = checkOwnership(input.ownership, violations);
  }
  if (input.history) {
    checked.push('status-backwards');
    checkHistory(input.history, violations);
  }
  if (input.events) {
    checked.push('event-duplicate', 'event-terminal');
    checkEvents(input.events, input.workflows, violations);
  }
  return {
    ok: violations.length === 0,
    violations,
    checked,
    counts: {
      workflows: input.workflows.length,
      podCreates: input.podCreates?.filter((c) => c.code >= 200 && c.code < 300).length ?? 0,
      distinctPods,
      rounds,
      observations: input.history?.length ?? 0,
      events: input.events?.length ?? 0,
    },
  };
}

/** Parses ownership audit lines (JSON per line; `shard` a string or a number); malformed lines are skipped. */
export function parseOwnershipAudit(text: string): OwnershipRecord[] {
  const out: OwnershipRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as Partial<Omit<OwnershipRecord, 'shard'>> & { shard?: unknown };
      const shard = typeof r.shard === 'number' ? String(r.shard) : r.shard;
      if ((r.t === 'start' || r.t === 'end') && typeof shard === 'string' && typeof r.replica === 'string' && typeof r.key === 'string' && (typeof r.at === 'number' || typeof r.at === 'string')) {
        out.push({ t: r.t, shard, replica: r.replica, key: r.key, at: r.at });
      }
    } catch {
      // a half-written last line of a killed replica
    }
  }
  return out;
}
