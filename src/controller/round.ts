/**
 * One round for one workflow key (level-based: it gets a key, never an event, and re-reads state).
 *
 * Order: lease check → read (status store: never older than our last write) → validate once per
 * (uid, generation) → add the abort finalizer to a running Workflow → run the engine driver (it applies side effects idempotently, streaks up to
 * its limit) → write status with the resourceVersion precondition → publish execution events and
 * Kubernetes Events → tell the queue when to come back.
 *
 * A terminal Workflow loses the abort finalizer (a deleted one then goes); one whose tasks all run
 * in-process gets it only when a round leaves it running (`deferFinalizer`). A phase change written
 * is a Kubernetes Event (`Workflow<Phase>`; Warning when it failed), recorded without waiting.
 *
 * A 409 on the status write (or a finalizer patch) re-reads with a GET and redoes the round (side effects are idempotent,
 * execution events are idempotent by id), up to `maxConflictRetries`; then the round asks to be
 * re-queued shortly. Execution events are published only after their status was written. An
 * invalid spec makes the Workflow Failed with `Valid=False` and a Warning Event, once per
 * generation, and never throws.
 *
 * Fencing: the lease check (`canRun`) runs before the round, again before the status write, and
 * after every 409: a replica that cannot prove it still holds the shard (paused past its lease,
 * say) writes nothing more and ends the round `fenced` instead of redoing it over the new owner's
 * work.
 *
 * What the round did (`RoundRun.outcome`, for the ownership audit): `conflict`, `skipped` and
 * `fenced` only ever describe a round that wrote nothing to the Workflow (no status, no
 * finalizer). A round that wrote and then ended that way is reported by what it did: `success`
 * (a terminal Workflow's delivered-events flag or finalizer release), `error` (wrote, then lost to
 * 409s or the fence). `onTasksStarted` hears of the task attempts a status write recorded as
 * started, right after that write succeeded; starts of a round whose write never landed are not
 * reported (the next owner starts them again: at-least-once).
 */
import { steadyNow } from '../lifecycle/index.js';
import type { Span, Tracer } from '@opentelemetry/api';
import type { WorkflowCondition, WorkflowStatus } from '../api/status.js';
import { isTerminalWorkflowPhase } from '../api/status.js';
import type { Workflow } from '../api/workflow.js';
import type { ValidationResult } from '../api/validation/index.js';
import type { DriverRoundResult, StartedTask } from '../engine/driver.js';
import type { ExecutionEvent } from '../engine/events.js';
import { terminalEventsOf } from '../engine/terminal-events.js';
import type { Metrics, RoundResult } from '../observability/metrics.js';
import { apiSpan, getTracer, roundSpan } from '../observability/tracing.js';
import { describeError, isTerminal, type FlotillaError } from '../api/errors.js';
import { KubeError } from '../kube/errors.js';
import { addAbortFinalizer, hasAbortFinalizer, removeAbortFinalizer, type FinalizerClient } from './finalizer.js';
import type { WorkflowEvent } from './k8s-events.js';
import type { ProcessResult } from './queue/index.js';
import { observeStatusWrite } from './round-slo.js';
import type { StatusStore } from './status-store.js';

export interface RoundOptions {
  shard: number;
  store: Pick<StatusStore, 'read' | 'writeStatus' | 'noteWrite'>;
  /** Manages the abort finalizer when given (running Workflows carry it; terminal ones lose it). */
  finalizers?: FinalizerClient;
  /**
   * True when running `workflow` touches nothing outside the controller and objects the Workflow
   * owns (in-process tasks only): its finalizer is then added only when a round leaves it running,
   * before that round's status write, so a workflow done within one round costs no finalizer writes
   * (a deletion during that round is one that came just before it). @defaultValue () => false
   */
  deferFinalizer?: (workflow: Workflow) => boolean;
  driver: { runRound(workflow: Workflow, signal?: AbortSignal): Promise<DriverRoundResult> };
  validate: (input: unknown) => ValidationResult;
  /**
   * Execution events. `publish` never blocks. With `flush` (a confirmed delivery), terminal events
   * are delivered at least once: the terminal round flushes them before writing the status, and a
   * terminal Workflow whose status lacks `eventsDelivered` (its replica died in between) gets them
   * re-sent — same ids, so the sink stores each once — before the flag is written.
   */
  events?: { publish(event: ExecutionEvent): void; flush?(timeoutMs: number): Promise<boolean> };
  /** How long a terminal round waits for the sink to confirm its events. @defaultValue 3000 */
  terminalEventTimeoutMs?: number;
  /** Re-queue delay while the sink cannot confirm a terminal Workflow's events. @defaultValue 5000 */
  eventRetryMs?: number;
  /** Kubernetes Events (never throws). */
  recorder?: { record(workflow: Workflow, event: WorkflowEvent): Promise<void> };
  metrics?: Metrics;
  tracer?: Tracer;
  /** False when this replica cannot prove it still holds the shard's lease: the round does nothing (more). */
  canRun?: () => boolean;
  /** Re-queue delay of a round the lease check turned away. @defaultValue 1000 */
  fencedRequeueMs?: number;
  /**
   * Called synchronously right after a status write that records task attempts as started
   * succeeded (the ownership audit's `task` lines). `uid` is the Workflow's.
   */
  onTasksStarted?: (shard: number, key: string, started: readonly StartedTask[], uid: string | undefined) => void;
  /** Status writes retried after 409 within one round. @defaultValue 3 */
  maxConflictRetries?: number;
  /** Re-queue delay when conflicts persist. @defaultValue 200 */
  conflictRequeueMs?: number;
  /** @defaultValue Date.now */
  clock?: () => number;
}

/** What a round did: its metric result, or `fenced` (see the module comment). */
export type RoundOutcome = RoundResult | 'fenced';

/** A round's answer to the queue, with what it did. */
export interface RoundRun extends ProcessResult {
  outcome: RoundOutcome;
  /**
   * When the round last proved it may act (its last passed lease check, ms since the epoch). Every
   * write and side effect follows such a check, so the round acted on the shard no later than the
   * action that followed it; what it did after is reads. A replica frozen mid-round and woken up
   * after losing the shard shows a late `end`, but no later proof.
   */
  provenAt?: number;
}

/** Outcomes that mean the round wrote nothing. */
const WROTE_NOTHING: ReadonlySet<RoundOutcome> = new Set(['conflict', 'skipped', 'fenced']);

/** Whether the current round wrote anything to the Workflow (status or finalizers). */
interface Acted {
  wrote: boolean;
  /** The last passed lease check (see `RoundRun.provenAt`). */
  provenAt?: number;
}

interface Validated {
  uid: string;
  generation: number | undefined;
  result: ValidationResult;
}

export class RoundRunner {
  private readonly validated = new Map<string, Validated>();
  private readonly tracer: Tracer;

  constructor(private readonly options: RoundOptions) {
    this.tracer = options.tracer ?? getTracer();
  }

  /**
   * Runs one round of `key`; the result tells the queue when to come back, and what the round did.
   * `proof` receives the round's last passed lease check even when the round throws (a request
   * cut off by a partition): the ownership audit ends such a round there too.
   */
  async run(
    key: string,
    context: { signal?: AbortSignal; attempt?: number; proof?: { provenAt?: number } } = {},
  ): Promise<RoundRun> {
    const started = performance.now();
    let result: RoundResult = 'error';
    const acted: Acted = { wrote: false };
    try {
      return await roundSpan(
        this.tracer,
        { shard: this.options.shard, key, ...(context.attempt !== undefined ? { attempt: context.attempt } : {}) },
        async (span) => {
          const ended = await this.round(key, context.signal, span, acted);
          // The metric keeps its documented values: a fenced round is one on a shard not provably owned.
          result = ended.result === 'fenced' ? 'skipped' : ended.result;
          const outcome: RoundOutcome =
            acted.wrote && WROTE_NOTHING.has(ended.result)
              ? ended.result === 'skipped'
                ? 'success'
                : 'error'
              : ended.result;
          span.setAttribute('flotilla.round.result', result);
          return {
            outcome,
            ...(acted.provenAt !== undefined ? { provenAt: acted.provenAt } : {}),
            ...(ended.requeueAfterMs !== undefined ? { requeueAfterMs: ended.requeueAfterMs } : {}),
          };
        },
      );
    } finally {
      if (context.proof && acted.provenAt !== undefined) context.proof.provenAt = acted.provenAt;
      const labels = { shard: String(this.options.shard), result };
      this.options.metrics?.roundsTotal.inc(labels);
      this.options.metrics?.roundDuration.observe(labels, (performance.now() - started) / 1000);
    }
  }

  /** Forgets what was remembered for `key` (deleted, or moved away). */
  forget(key: string): void {
    this.validated.delete(key);
  }

  /**
   * A round the lease check turned away comes back later instead of being dropped: when the shard
   * is really going, its queue ignores the re-enqueue and the next owner's informers list the
   * workflow anyway; when ownership was only unproven for a moment (a renewal late after a pause,
   * the event loop starved), the shard keeps running here and nothing else would bring the key back.
   */
  private notNow(result: 'skipped' | 'fenced'): { result: RoundOutcome; requeueAfterMs: number } {
    return { result, requeueAfterMs: this.options.fencedRequeueMs ?? 1_000 };
  }

  /** The lease check; a pass is remembered as the round's latest proof of ownership. */
  private fenced(acted: Acted): boolean {
    if (this.options.canRun !== undefined && !this.options.canRun()) return true;
    acted.provenAt = steadyNow();
    return false;
  }

  private async round(
    key: string,
    signal: AbortSignal | undefined,
    span: Span,
    acted: Acted,
  ): Promise<{ result: RoundOutcome; requeueAfterMs?: number }> {
    if (this.fenced(acted)) return this.notNow('skipped');
    const retries = this.options.maxConflictRetries ?? 3;
    let fresh = false;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const workflow = await apiSpan(this.tracer, { verb: fresh ? 'get' : 'read', resource: 'workflows', key }, () =>
        this.options.store.read(key, { fresh }),
      );
      if (!workflow) {
        this.forget(key);
        return { result: 'skipped' };
      }
      try {
        if (isTerminalWorkflowPhase(workflow.status?.phase)) {
          const delivered = await this.deliverTerminalEvents(key, workflow, acted);
          await this.release(delivered.stored ?? workflow, acted);
          return delivered.ok
            ? { result: 'skipped' }
            : { result: 'requeue', requeueAfterMs: this.options.eventRetryMs ?? 5_000 };
        }
        const validation = this.validation(key, workflow);
        // The read may have waited long (a partition, a paused process): prove ownership again
        // before the first write or side effect.
        if (this.fenced(acted)) return this.notNow('fenced');
        if (!validation.ok) {
          const failed = await this.fail(workflow, validation.issues, acted);
          // The echo of our own write runs no round (the store drops it): deliver the terminal
          // events now, or come back for them.
          const delivered = await this.deliverTerminalEvents(key, failed ?? workflow, acted);
          await this.release(delivered.stored ?? failed ?? workflow, acted);
          return delivered.ok ? { result: 'invalid' } : this.eventsPending();
        }
        const deferred = !hasAbortFinalizer(workflow) && this.options.deferFinalizer?.(validation.workflow) === true;
        let guarded = deferred ? workflow : await this.guard(workflow, acted);
        const executable: Workflow = {
          ...validation.workflow,
          metadata: guarded.metadata,
          ...(guarded.status ? { status: guarded.status } : {}),
        };
        if (this.fenced(acted)) return this.notNow('fenced');
        let driven: DriverRoundResult;
        try {
          driven = await this.options.driver.runRound(executable, signal);
        } catch (error) {
          // Retrying cannot help (an output over the store's limit, say): end the Workflow with the
          // cause instead of looping. Anything retryable goes back to the queue.
          if (!isTerminal(error) || error instanceof KubeError) throw error;
          const failed = await this.failTerminal(guarded, error, acted);
          const delivered = await this.deliverTerminalEvents(key, failed, acted);
          await this.release(delivered.stored ?? failed, acted);
          return delivered.ok ? { result: 'error' } : this.eventsPending();
        }
        this.options.metrics?.streakLength.observe({ shard: String(this.options.shard) }, driven.passes);
        span.setAttribute('flotilla.round.passes', driven.passes);
        if (driven.changed && this.fenced(acted)) return this.notNow('fenced');
        const terminal = isTerminalWorkflowPhase(driven.status.phase);
        if (deferred && !terminal) {
          // Still running after this round: it carries the finalizer from now on, before its status.
          if (!driven.changed && this.fenced(acted)) return this.notNow('fenced');
          guarded = await this.guard(guarded, acted);
        }
        // A terminal transition's events go out (and are confirmed) before the status that ends the
        // workflow, so no crash can leave a finished workflow whose end the sink never heard of.
        const confirmFirst = terminal && driven.changed && this.options.events?.flush !== undefined;
        if (confirmFirst) {
          for (const event of driven.events) this.options.events?.publish(event);
          if (await this.flushEvents()) driven.status.eventsDelivered = true;
        }
        if (driven.changed) {
          const stored = await apiSpan(this.tracer, { verb: 'update', resource: 'workflows/status', key }, () =>
            this.options.store.writeStatus(guarded, driven.status),
          );
          acted.wrote = true;
          if (driven.started.length > 0)
            this.options.onTasksStarted?.(this.options.shard, key, driven.started, stored.metadata.uid);
          this.recordPhaseChange(stored, workflow.status?.phase, driven.status);
          this.observeSlo(workflow, driven.status, validation.workflow.spec.nodes);
          if (terminal) await this.release(stored, acted);
        }
        if (!confirmFirst) for (const event of driven.events) this.options.events?.publish(event);
        if (driven.changed) this.recordWaits(workflow, driven.events);
        // The sink did not confirm the end in time: come back to deliver it (our own write's echo
        // runs no round, so nothing else would).
        if (confirmFirst && driven.status.eventsDelivered !== true) return this.eventsPending();
        if (driven.errors.length > 0)
          return {
            result: 'error',
            ...(driven.requeueAfterMs !== undefined ? { requeueAfterMs: driven.requeueAfterMs } : {}),
          };
        return driven.requeueAfterMs !== undefined
          ? { result: 'requeue', requeueAfterMs: driven.requeueAfterMs }
          : { result: 'success' };
      } catch (error) {
        if (!(error instanceof KubeError && error.code === 'Conflict')) throw error;
        this.options.metrics?.statusConflicts.inc({ shard: String(this.options.shard) });
        span.addEvent('conflict', { attempt });
        if (this.fenced(acted)) return this.notNow('fenced');
        fresh = true;
      }
    }
    return { result: 'conflict', requeueAfterMs: this.options.conflictRequeueMs ?? 200 };
  }

  /** A terminal Workflow whose events the sink has not confirmed yet: try again later. */
  private eventsPending(): { result: RoundOutcome; requeueAfterMs?: number } {
    return { result: 'requeue', requeueAfterMs: this.options.eventRetryMs ?? 5_000 };
  }

  private async flushEvents(): Promise<boolean> {
    const flush = this.options.events?.flush;
    if (!flush) return true;
    return flush.call(this.options.events, this.options.terminalEventTimeoutMs ?? 3_000).catch(() => false);
  }

  /**
   * Re-sends a terminal Workflow's events until the sink confirms them, then records that in
   * `status.eventsDelivered` (resourceVersion-guarded like every status write).
   */
  private async deliverTerminalEvents(
    key: string,
    workflow: Workflow,
    acted: Acted,
  ): Promise<{ ok: boolean; stored?: Workflow }> {
    const status = workflow.status;
    if (!status || status.eventsDelivered === true || this.options.events?.flush === undefined) return { ok: true };
    for (const event of terminalEventsOf(workflow)) this.options.events.publish(event);
    if (!(await this.flushEvents())) return { ok: false };
    const stored = await apiSpan(this.tracer, { verb: 'update', resource: 'workflows/status', key }, () =>
      this.options.store.writeStatus(workflow, { ...status, eventsDelivered: true }),
    );
    acted.wrote = true;
    return { ok: true, stored };
  }

  private validation(key: string, workflow: Workflow): ValidationResult {
    const cached = this.validated.get(key);
    if (cached && cached.uid === workflow.metadata.uid && cached.generation === workflow.metadata.generation)
      return cached.result;
    const result = this.options.validate(workflow);
    this.validated.set(key, { uid: workflow.metadata.uid, generation: workflow.metadata.generation, result });
    return result;
  }

  /** Invalid spec: Failed with `Valid=False` (once per generation) and a Warning Event. */
  private async fail(
    workflow: Workflow,
    issues: Array<{ path: string; code: string; message: string }>,
    acted: Acted,
  ): Promise<Workflow | undefined> {
    const generation = workflow.metadata.generation;
    const previous = workflow.status;
    const valid = previous?.conditions?.find((c) => c.type === 'Valid');
    if (previous?.phase === 'Failed' && valid?.status === 'False' && previous.observedGeneration === generation)
      return undefined;
    const message = issues
      .slice(0, 20)
      .map((issue) => `${issue.path}: ${issue.message}`)
      .join('; ')
      .slice(0, 4000);
    const now = new Date(this.options.clock?.() ?? Date.now()).toISOString();
    const condition = (type: WorkflowCondition['type'], reason: string): WorkflowCondition => ({
      type,
      status: 'False',
      reason,
      message,
      lastTransitionTime: now,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    });
    const conditions = (previous?.conditions ?? []).filter(
      (c) => c.type !== 'Valid' && c.type !== 'Succeeded' && c.type !== 'Progressing',
    );
    const status: WorkflowStatus = {
      ...(previous ?? {}),
      phase: 'Failed',
      message: `invalid workflow: ${message}`,
      finishedAt: now,
      conditions: [...conditions, condition('Valid', 'InvalidSpec'), condition('Succeeded', 'InvalidSpec')],
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
    const shard = workflow.metadata.labels?.['flotilla.io/shard'];
    if (shard !== undefined) status.shard = shard;
    const stored = await this.options.store.writeStatus(workflow, status);
    acted.wrote = true;
    this.observeSlo(workflow, status, undefined);
    await this.options.recorder?.record(workflow, { type: 'Warning', reason: 'InvalidSpec', message });
    return stored;
  }

  /**
   * A Warning Event per task attempt that starts waiting for resources (a ResourceQuota refused
   * its Pod), with the API server's message naming the quota; never blocks the round.
   */
  private recordWaits(workflow: Workflow, events: readonly ExecutionEvent[]): void {
    if (!this.options.recorder) return;
    for (const event of events) {
      if (event.scope !== 'task' || event.phase !== 'WaitingForResources') continue;
      void this.options.recorder.record(workflow, {
        type: 'Warning',
        reason: 'WaitingForResources',
        message: `node ${event.nodeId ?? ''} attempt ${event.attempt ?? 1}: ${event.message ?? 'waiting for resources'}`,
      });
    }
  }

  /** A terminal error out of the driver: the Workflow fails, its message naming the cause. */
  private async failTerminal(workflow: Workflow, error: FlotillaError, acted: Acted): Promise<Workflow> {
    const now = new Date(this.options.clock?.() ?? Date.now()).toISOString();
    const message = `${error.code}: ${describeError(error)}`.slice(0, 4000);
    const previous = workflow.status ?? {};
    const conditions = (previous.conditions ?? []).filter((c) => c.type !== 'Succeeded' && c.type !== 'Progressing');
    const status: WorkflowStatus = {
      ...previous,
      phase: 'Failed',
      message,
      finishedAt: now,
      conditions: [
        ...conditions,
        { type: 'Succeeded', status: 'False', reason: error.code, message, lastTransitionTime: now },
      ],
    };
    const stored = await this.options.store.writeStatus(workflow, status);
    acted.wrote = true;
    this.recordPhaseChange(stored, previous.phase, status);
    this.observeSlo(workflow, status, undefined);
    return stored;
  }

  /** Acceptance, node transition and completion latencies of a status write that landed (round-slo.ts). */
  private observeSlo(workflow: Workflow, status: WorkflowStatus, nodes: Workflow['spec']['nodes'] | undefined): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    observeStatusWrite(metrics, {
      createdAt: workflow.metadata.creationTimestamp,
      before: workflow.status,
      after: status,
      nodes,
      nowMs: this.options.clock?.() ?? Date.now(),
    });
  }

  /** A Kubernetes Event per phase change (Warning for Failed, TimedOut, Aborted); never blocks the round. */
  private recordPhaseChange(workflow: Workflow, before: string | undefined, status: WorkflowStatus): void {
    const phase = status.phase;
    if (!this.options.recorder || phase === undefined || phase === before) return;
    const warning = phase === 'Failed' || phase === 'TimedOut' || phase === 'Aborted';
    const message = status.message ? `workflow ${phase}: ${status.message}` : `workflow ${phase}`;
    void this.options.recorder.record(workflow, {
      type: warning ? 'Warning' : 'Normal',
      reason: `Workflow${phase}`,
      message,
    });
  }

  /** A running Workflow carries the abort finalizer (unless it is being deleted already). */
  private async guard(workflow: Workflow, acted: Acted): Promise<Workflow> {
    const client = this.options.finalizers;
    if (!client || workflow.metadata.deletionTimestamp !== undefined || hasAbortFinalizer(workflow)) return workflow;
    const key = `${workflow.metadata.namespace}/${workflow.metadata.name}`;
    const stored = await apiSpan(this.tracer, { verb: 'patch', resource: 'workflows', key }, () =>
      addAbortFinalizer(client, workflow),
    );
    acted.wrote = true;
    this.options.store.noteWrite(stored);
    return stored;
  }

  /** A terminal Workflow no longer needs the abort finalizer. */
  private async release(workflow: Workflow, acted: Acted): Promise<void> {
    const client = this.options.finalizers;
    if (!client || !hasAbortFinalizer(workflow)) return;
    const key = `${workflow.metadata.namespace}/${workflow.metadata.name}`;
    const stored = await apiSpan(this.tracer, { verb: 'patch', resource: 'workflows', key }, () =>
      removeAbortFinalizer(client, workflow),
    );
    if (stored) {
      acted.wrote = true;
      this.options.store.noteWrite(stored);
    }
  }
}
