/**
 * The fleet's invariants, checked after a run from what was recorded (pure: plain data in, a typed
 * report out; the sandbox, the fault suite and the fleet tests gather the data — this is the one
 * checker they all use):
 *
 *  1. `expected-phase`     every workflow reached its expected phase
 *  2. `pod-launched-twice` no task attempt launched twice: successful pod creates per name = 1;
 *     `task-started-twice` no task attempt (any plugin, in-process ones included) recorded as
 *     started by more than one committed start
 *  3. `shard-overlap`      no two replicas acted on one shard at the same time
 *  4. `status-backwards`   a workflow's phase never went backwards; node attempts never decreased
 *  5. `event-duplicate` / `event-terminal` events are unique by id, and each finished workflow's
 *     workflow-scope events end in its terminal phase
 *
 * Rounds (3), from the replicas' ownership audits (`parseReplicaAudit`): a `start` and the next
 * `end` of one (replica, shard, key) are a round. A `start` with no `end` is a round cut by the
 * replica's death: it ran until that replica's next death at or after its start (`deaths`: the
 * harness records its SIGKILLs), or, with no such death, until the replica's next `start` of any
 * key after it (a restarted process), or the end of the records. Only rounds of DIFFERENT replicas
 * can overlap: one replica runs several rounds of a shard at once (worker concurrency, one per
 * key). A round whose `end` says it wrote nothing (`outcome` `conflict`, `skipped` or `fenced`:
 * the round found it may not run, or a replica paused past its lease came back, had its status
 * write refused and fenced itself) did not act: overlapping another replica's round it is counted
 * in `fencedRounds`, not reported. Every other round (`success`, `requeue`, `error`, `invalid`,
 * no outcome, cut) acted.
 *
 * Task starts (2): a `task` audit line is written only after the status write that records the
 * attempt as started succeeded. Only such committed starts count: an in-process task that ran in
 * a round cut by SIGKILL before its status write runs again on the next owner — at-least-once, as
 * any plugin's task — and the status never recorded the first run, so nothing says it happened.
 * Two committed starts of one attempt mean the engine started an attempt that the status already
 * recorded as started (the resourceVersion guard failed): a violation.
 */
import { isTerminalWorkflowPhase } from '../src/api/status.js';
import type { RoundOutcome } from '../src/controller/round.js';

export type InvariantCode =
  | 'expected-phase'
  | 'pod-launched-twice'
  | 'task-started-twice'
  | 'shard-overlap'
  | 'status-backwards'
  | 'event-duplicate'
  | 'event-terminal';

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

export type { RoundOutcome };

/** One round line of a replica's ownership audit (`--audit-log`). */
export interface OwnershipRecord {
  t: 'start' | 'end';
  shard: string;
  replica: string;
  key: string;
  /** Epoch milliseconds or an ISO time. */
  at: number | string;
  /** On an `end`: what the round did (absent: it acted). */
  outcome?: RoundOutcome;
  /** On `end`: the round's last passed lease check (epoch ms); it acted no later than that. */
  provenAt?: number;
}

/** A task attempt a round started and whose status write (recording it as started) succeeded. */
export interface TaskStartRecord {
  shard: string;
  replica: string;
  /** `<namespace>/<name>` of the workflow. */
  key: string;
  /** The workflow's uid, when recorded (a workflow re-created under its name is another one). */
  uid?: string;
  /** The node's path. */
  node: string;
  attempt: number;
  plugin: string;
  /** Epoch milliseconds or an ISO time. */
  at: number | string;
}

/** When a replica process died (SIGKILL): its rounds still open then were cut. */
export interface ReplicaDeath {
  replica: string;
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
  /** Every replica's round lines (files concatenated; each file's order kept). */
  ownership?: readonly OwnershipRecord[];
  /** When replicas died: ends their cut rounds (see the module comment). */
  deaths?: readonly ReplicaDeath[];
  /** Every replica's committed task starts. */
  taskStarts?: readonly TaskStartRecord[];
  history?: readonly StatusObservation[];
  events?: readonly RecordedEvent[];
}

export interface InvariantCounts {
  workflows: number;
  /** Successful pod creates. */
  podCreates: number;
  distinctPods: number;
  /** Rounds audited, cut ones included. */
  rounds: number;
  /** Rounds with a `start` and no `end`. */
  cutRounds: number;
  /** Rounds that wrote nothing (conflict, skipped, fenced) and overlapped another replica's round. */
  fencedRounds: number;
  taskStarts: number;
  /** Distinct (workflow, node, attempt) of the task starts. */
  distinctTaskStarts: number;
  observations: number;
  events: number;
}

export interface InvariantReport {
  ok: boolean;
  violations: Violation[];
  /** What was checked (an invariant is skipped when its input was not given). */
  checked: InvariantCode[];
  counts: InvariantCounts;
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
    if (w.phase !== w.expectedPhase)
      out.push({
        code: 'expected-phase',
        subject: `${w.namespace}/${w.name}`,
        detail: `ended ${w.phase ?? 'missing'}, expected ${w.expectedPhase}`,
      });
  }
}

function checkPodCreates(creates: readonly PodCreate[], out: Violation[]): number {
  const launched = new Map<string, number>();
  for (const c of creates) {
    if (c.code < 200 || c.code >= 300) continue;
    const key = `${c.namespace}/${c.name}`;
    launched.set(key, (launched.get(key) ?? 0) + 1);
  }
  for (const [pod, n] of launched)
    if (n > 1) out.push({ code: 'pod-launched-twice', subject: pod, detail: `created ${n} times` });
  return launched.size;
}

interface Round {
  replica: string;
  key: string;
  start: number;
  end: number;
  /** No `end` line: ended by the replica's death (or its next start, or the end of the records). */
  cut: boolean;
  /** False when its outcome says it wrote nothing. */
  acted: boolean;
}

/** Outcomes of a round that wrote nothing (see `RoundOutcome` in the controller). */
const WROTE_NOTHING: ReadonlySet<string> = new Set<RoundOutcome>(['conflict', 'skipped', 'fenced']);

/** The first value of ascending `sorted` that is `>= value` (`strict`: `> value`). */
function firstFrom(sorted: readonly number[], value: number, strict: boolean): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid] ?? Number.POSITIVE_INFINITY;
    if (v > value || (!strict && v === value)) hi = mid;
    else lo = mid + 1;
  }
  return sorted[lo];
}

function sortedTimesBy<T extends { replica: string }>(
  items: readonly T[],
  at: (item: T) => number,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const item of items) {
    const times = out.get(item.replica) ?? [];
    times.push(at(item));
    out.set(item.replica, times);
  }
  for (const times of out.values()) times.sort((a, b) => a - b);
  return out;
}

/**
 * Pairs start/end lines per (replica, shard, key), an end with the latest open start; an older
 * open start, and any start never ended, is a cut round (see the module comment).
 */
function roundsOf(
  records: readonly OwnershipRecord[],
  deaths: readonly ReplicaDeath[],
): { byShard: Map<string, Round[]>; cut: number } {
  const open = new Map<string, OwnershipRecord[]>();
  const cutStarts: OwnershipRecord[] = [];
  const byShard = new Map<string, Round[]>();
  const add = (shard: string, round: Round) => {
    const rounds = byShard.get(shard) ?? [];
    rounds.push(round);
    byShard.set(shard, rounds);
  };
  // Stable: lines of one replica at the same millisecond keep their file order (start, then end).
  const sorted = [...records].sort((a, b) => time(a.at) - time(b.at));
  for (const r of sorted) {
    const id = `${r.replica}\u0000${r.shard}\u0000${r.key}`;
    if (r.t === 'start') {
      const starts = open.get(id) ?? [];
      starts.push(r);
      open.set(id, starts);
      continue;
    }
    const starts = open.get(id) ?? [];
    // The latest open start: an older one without an end is a round cut short by a crash (the
    // replica restarts under the same name), not the start of this one.
    const start = starts.pop();
    cutStarts.push(...starts);
    open.delete(id);
    if (start === undefined) continue;
    // A round acted until its last proof of ownership, not until its end line: a replica frozen
    // after its last write wakes up, finds the shard gone and ends late without acting again.
    const end = r.provenAt !== undefined ? Math.min(time(r.at), r.provenAt) : time(r.at);
    add(r.shard, {
      replica: r.replica,
      key: r.key,
      start: time(start.at),
      end,
      cut: false,
      acted: r.outcome === undefined || !WROTE_NOTHING.has(r.outcome),
    });
  }
  for (const starts of open.values()) cutStarts.push(...starts);
  const deathTimes = sortedTimesBy(deaths, (d) => time(d.at));
  const startTimes = sortedTimesBy(
    records.filter((r) => r.t === 'start'),
    (r) => time(r.at),
  );
  const lastAt = sorted.length > 0 ? time(sorted[sorted.length - 1]?.at ?? 0) : 0;
  for (const s of cutStarts) {
    const start = time(s.at);
    const end =
      firstFrom(deathTimes.get(s.replica) ?? [], start, false) ??
      firstFrom(startTimes.get(s.replica) ?? [], start, true) ??
      Math.max(lastAt, start);
    add(s.shard, { replica: s.replica, key: s.key, start, end, cut: true, acted: true });
  }
  return { byShard, cut: cutStarts.length };
}

function cutNote(r: Round): string {
  return r.cut ? ' (cut: no end line)' : '';
}

function checkOwnership(
  records: readonly OwnershipRecord[],
  deaths: readonly ReplicaDeath[],
  out: Violation[],
): { rounds: number; cutRounds: number; fencedRounds: number } {
  const { byShard, cut } = roundsOf(records, deaths);
  let total = 0;
  const fenced = new Set<Round>();
  for (const [shard, rounds] of byShard) {
    total += rounds.length;
    rounds.sort((a, b) => a.start - b.start);
    let active: Round[] = [];
    let reported = 0;
    for (const round of rounds) {
      active = active.filter((r) => r.end > round.start);
      let violated = false;
      for (const other of active) {
        if (other.replica === round.replica) continue;
        if (!other.acted || !round.acted) {
          if (!other.acted) fenced.add(other);
          if (!round.acted) fenced.add(round);
          continue;
        }
        if (violated || reported >= 5) continue;
        violated = true;
        reported++;
        out.push({
          code: 'shard-overlap',
          subject: `shard ${shard}`,
          detail: `${other.replica} ran ${other.key}${cutNote(other)} until ${new Date(other.end).toISOString()} while ${round.replica} started ${round.key}${cutNote(round)} at ${new Date(round.start).toISOString()}`,
        });
      }
      active.push(round);
    }
  }
  return { rounds: total, cutRounds: cut, fencedRounds: fenced.size };
}

function checkTaskStarts(starts: readonly TaskStartRecord[], out: Violation[]): number {
  const byAttempt = new Map<string, TaskStartRecord[]>();
  for (const s of starts) {
    const id = `${s.key}\u0000${s.uid ?? ''}\u0000${s.node}\u0000${s.attempt}`;
    const records = byAttempt.get(id) ?? [];
    records.push(s);
    byAttempt.set(id, records);
  }
  for (const records of byAttempt.values()) {
    const first = records[0];
    if (!first || records.length < 2) continue;
    const by = records.map((r) => `${r.replica} at ${new Date(time(r.at)).toISOString()}`).join(', ');
    out.push({
      code: 'task-started-twice',
      subject: first.key,
      detail: `node ${first.node} attempt ${first.attempt} (${first.plugin}) recorded as started ${records.length} times: ${by}`,
    });
  }
  return byAttempt.size;
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
        out.push({
          code: 'status-backwards',
          subject: key,
          detail: `phase went from ${prev.phase ?? '(none)'} to ${obs.phase ?? '(none)'}`,
        });
        reported.add(key);
      } else {
        for (const [node, attempts] of Object.entries(prev.attempts ?? {})) {
          const nowAttempts = obs.attempts?.[node];
          if (nowAttempts !== undefined && nowAttempts < attempts) {
            out.push({
              code: 'status-backwards',
              subject: key,
              detail: `node ${node} attempts went from ${attempts} to ${nowAttempts}`,
            });
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
    if (seen.has(e.id))
      out.push({ code: 'event-duplicate', subject: `${e.namespace}/${e.name}`, detail: `event ${e.id} stored twice` });
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
    if (lastEvent?.phase !== w.phase)
      out.push({
        code: 'event-terminal',
        subject: key,
        detail: `ended ${w.phase} but its last workflow event is ${lastEvent ? `${lastEvent.phase} (${lastEvent.id})` : 'missing'}`,
      });
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
  let distinctTaskStarts = 0;
  if (input.taskStarts) {
    checked.push('task-started-twice');
    distinctTaskStarts = checkTaskStarts(input.taskStarts, violations);
  }
  let rounds = { rounds: 0, cutRounds: 0, fencedRounds: 0 };
  if (input.ownership) {
    checked.push('shard-overlap');
    rounds = checkOwnership(input.ownership, input.deaths ?? [], violations);
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
      ...rounds,
      taskStarts: input.taskStarts?.length ?? 0,
      distinctTaskStarts,
      observations: input.history?.length ?? 0,
      events: input.events?.length ?? 0,
    },
  };
}
