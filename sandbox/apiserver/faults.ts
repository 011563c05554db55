/**
 * Fault injection and the write audit: the same operations in-process ({@link FaultInjector}) and
 * over HTTP under `/_flotilla/` (see http/handlers-flotilla.ts).
 */
import { Traffic } from './traffic.js';

export type AuditVerb = 'create' | 'update' | 'patch' | 'delete' | 'status-update' | 'status-patch';

export interface AuditEntry {
  /** ISO time of the write. */
  time: string;
  verb: AuditVerb;
  /** Plural resource name. */
  resource: string;
  group: string;
  namespace: string;
  name: string;
  /** HTTP status code of the answer. */
  code: number;
  /** resourceVersion after the write ('' when it failed). */
  resourceVersion: string;
  /** The refusal's message, when it failed (a webhook's denial names the webhook and its reason). */
  message?: string;
}

/** The RBAC verb of a resource request (what an authorizer would check). */
export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** One authenticated resource request, as an RBAC authorizer sees it (reads included). */
export interface RequestRecord {
  verb: RequestVerb;
  /** API group ('' for core). */
  group: string;
  /** Plural resource name. */
  resource: string;
  /** 'status', 'finalize', or '' for the main resource. */
  subresource: string;
  /** '' for cluster-scoped and all-namespace requests. */
  namespace: string;
}

export interface AuditFilter {
  /** `<plural>` or `<plural>.<group>`. */
  resource?: string;
  verb?: string;
  namespace?: string;
  name?: string;
}

export interface ConflictFault {
  /** `<plural>` or `<plural>.<group>`. */
  resource: string;
  /** How many matching update/patch writes fail. */
  count: number;
  namespace?: string;
  name?: string;
}

export interface LatencyFault {
  /** Delay in milliseconds; 0 clears. */
  ms: number;
  /** Delay only the delivery of watch events. @defaultValue false */
  watchOnly?: boolean;
}

export interface PartitionFault {
  /** For how long requests hang and watches deliver nothing. */
  ms: number;
}

/** Which request {@link FaultInjector.hold} catches (every given field must match). */
export interface HoldFault {
  /** `<plural>` or `<plural>.<group>`. */
  resource: string;
  /** One verb or any of several. @defaultValue any */
  verb?: RequestVerb | readonly RequestVerb[];
  /** 'status' or '' (the main resource). @defaultValue either */
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** A request caught by a hold: it waits, unanswered and unread, until `release()`. */
export interface HeldRequest {
  /** When it arrived (ms since the epoch). */
  readonly caughtAt: number;
  /** Lets it go on to admission and the store, as a request delayed in the network would. */
  release(): void;
  /** The HTTP status code it was answered with, once released and answered. */
  readonly answered: Promise<number>;
}

interface PendingHold {
  fault: HoldFault;
  caught: (held: HeldRequest) => void;
}

/** Requests held by {@link FaultInjector.stall} until `release()`. */
export interface Stall {
  /** How many requests it has held so far. */
  readonly held: number;
  /** Lets every held request go on, and holds no more. */
  release(): void;
}

/** Counts of writes: resource (`plural[.group]`) → verb → count. */
export type AuditStats = Record<string, Record<string, number>>;

function resourceMatches(filter: string, resource: string, group: string): boolean {
  return filter === resource || filter === (group === '' ? resource : `${resource}.${group}`);
}

const maxAudit = 2_000_000;

export class FaultInjector {
  private readonly conflictRules: ConflictFault[] = [];
  private latencyMs = 0;
  private latencyWatchOnly = false;
  private partitionUntil = 0;
  private partitionTimer: NodeJS.Timeout | undefined;
  private readonly partitionWaiters: (() => void)[] = [];
  private readonly auditLog: AuditEntry[] = [];
  private readonly stats = new Map<string, Map<string, number>>();
  private readonly requestLog: RequestRecord[] = [];
  private readonly holds: PendingHold[] = [];
  private readonly stalls: { fault: HoldFault; open: Promise<void>; count: () => void }[] = [];
  private readonly heldReleases: (() => void)[] = [];
  /** Request, byte and watch-event counters (kept here: the router and watch streams hold this object). */
  readonly traffic = new Traffic();
  /** Set by the server: ends every open watch with a 410 ERROR event. */
  expireWatchesHook: () => number = () => 0;
  /** Set by the server: drops retained history. */
  compactHook: () => void = () => undefined;

  /** Every open watch gets an ERROR 410 Expired event and its stream ends; returns how many. */
  expireWatches(): number {
    return this.expireWatchesHook();
  }

  /** Drops retained history: any watch/list from an older resourceVersion gets 410. */
  compact(): void {
    this.compactHook();
  }

  conflicts(fault: ConflictFault): void {
    if (fault.count > 0) this.conflictRules.push({ ...fault });
  }

  latency(fault: LatencyFault): void {
    this.latencyMs = Math.max(0, fault.ms);
    this.latencyWatchOnly = fault.ms > 0 && fault.watchOnly === true;
  }

  partition(fault: PartitionFault): void {
    this.partitionUntil = Date.now() + Math.max(0, fault.ms);
    if (this.partitionTimer) clearTimeout(this.partitionTimer);
    this.partitionTimer = setTimeout(() => this.endPartition(), Math.max(0, fault.ms));
  }

  /**
   * Catches the next request matching `fault` (in-process only): it waits before admission and
   * the store until the returned handle's `release()`. Resolves when one arrived. The way to
   * deliver a write late, as a replica frozen between its lease check and its request would.
   */
  hold(fault: HoldFault): Promise<HeldRequest> {
    return new Promise((caught) => this.holds.push({ fault, caught }));
  }

  /**
   * Holds every request matching `fault` (in-process only) until `release()`: e.g. the lists of
   * informers starting now, so their first sync never comes, while everything else goes on.
   */
  stall(fault: HoldFault): Stall {
    let held = 0;
    let open: () => void = () => undefined;
    const entry = {
      fault,
      open: new Promise<void>((resolve) => (open = resolve)),
      count: () => {
        held += 1;
      },
    };
    this.stalls.push(entry);
    this.heldReleases.push(open);
    return {
      get held() {
        return held;
      },
      release: () => {
        const i = this.stalls.indexOf(entry);
        if (i >= 0) this.stalls.splice(i, 1);
        open();
      },
    };
  }

  /**
   * Called by the router for each resource request: resolves at once unless a hold or a stall
   * catches it, then on release. A request caught by a hold resolves with the callback the router
   * reports its answer to.
   */
  gate(request: RequestRecord, name: string | undefined): Promise<((code: number) => void) | undefined> {
    if (this.holds.length === 0 && this.stalls.length === 0) return Promise.resolve(undefined);
    const matches = (fault: HoldFault): boolean =>
      resourceMatches(fault.resource, request.resource, request.group) &&
      (fault.verb === undefined ||
        (typeof fault.verb === 'string' ? fault.verb === request.verb : fault.verb.includes(request.verb))) &&
      (fault.subresource === undefined || fault.subresource === request.subresource) &&
      (fault.namespace === undefined || fault.namespace === request.namespace) &&
      (fault.name === undefined || fault.name === name);
    const stall = this.stalls.find((s) => matches(s.fault));
    if (stall) {
      stall.count();
      return stall.open.then(() => undefined);
    }
    const i = this.holds.findIndex(({ fault }) => matches(fault));
    const hold = this.holds[i];
    if (!hold) return Promise.resolve(undefined);
    this.holds.splice(i, 1);
    let report: (code: number) => void = () => undefined;
    const answered = new Promise<number>((resolve) => (report = resolve));
    return new Promise((resolve) => {
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        resolve(report);
      };
      this.heldReleases.push(release);
      hold.caught({ caughtAt: Date.now(), release, answered });
    });
  }

  clear(): void {
    this.conflictRules.length = 0;
    this.latencyMs = 0;
    this.latencyWatchOnly = false;
    this.endPartition();
  }

  audit(filter: AuditFilter = {}): AuditEntry[] {
    return this.auditLog.filter(
      (e) =>
        (filter.resource === undefined || resourceMatches(filter.resource, e.resource, e.group)) &&
        (filter.verb === undefined || e.verb === filter.verb) &&
        (filter.namespace === undefined || e.namespace === filter.namespace) &&
        (filter.name === undefined || e.name === filter.name),
    );
  }

  auditStats(): AuditStats {
    const out: AuditStats = {};
    for (const [resource, verbs] of this.stats) out[resource] = Object.fromEntries(verbs);
    return out;
  }

  /** Every resource request since start (or since {@link clearRequests}), oldest first. */
  requests(): RequestRecord[] {
    return this.requestLog.map((r) => ({ ...r }));
  }

  clearRequests(): void {
    this.requestLog.length = 0;
  }

  // ---- used by the server ----

  /** Notes a resource request (the router calls it once per request, before handling it). */
  recordRequest(entry: RequestRecord): void {
    if (this.requestLog.length < maxAudit) this.requestLog.push(entry);
  }

  /** Whether this update/patch must fail with 409 (consumes one). */
  takeConflict(resource: string, group: string, namespace: string, name: string): boolean {
    const i = this.conflictRules.findIndex(
      (r) =>
        resourceMatches(r.resource, resource, group) &&
        (r.namespace === undefined || r.namespace === namespace) &&
        (r.name === undefined || r.name === name),
    );
    if (i < 0) return false;
    const rule = this.conflictRules[i];
    if (!rule) return false;
    rule.count -= 1;
    if (rule.count <= 0) this.conflictRules.splice(i, 1);
    return true;
  }

  record(entry: AuditEntry): void {
    if (this.auditLog.length < maxAudit) this.auditLog.push(entry);
    const key = entry.group === '' ? entry.resource : `${entry.resource}.${entry.group}`;
    let verbs = this.stats.get(key);
    if (!verbs) {
      verbs = new Map();
      this.stats.set(key, verbs);
    }
    verbs.set(entry.verb, (verbs.get(entry.verb) ?? 0) + 1);
  }

  /** Delay before answering any request. */
  get responseDelayMs(): number {
    return this.latencyWatchOnly ? 0 : this.latencyMs;
  }

  /** Delay before delivering a watch event. */
  get watchDelayMs(): number {
    return this.latencyWatchOnly ? this.latencyMs : 0;
  }

  get partitioned(): boolean {
    return Date.now() < this.partitionUntil;
  }

  /** Resolves when no partition is in force. */
  whenOpen(): Promise<void> {
    if (!this.partitioned) return Promise.resolve();
    return new Promise((resolve) => this.partitionWaiters.push(resolve));
  }

  private endPartition(): void {
    if (this.partitionTimer) clearTimeout(this.partitionTimer);
    this.partitionTimer = undefined;
    this.partitionUntil = 0;
    for (const w of this.partitionWaiters.splice(0)) w();
  }

  /** Releases timers and held requests (server stop). */
  dispose(): void {
    this.endPartition();
    this.holds.length = 0;
    this.stalls.length = 0;
    for (const release of this.heldReleases.splice(0)) release();
  }
}
