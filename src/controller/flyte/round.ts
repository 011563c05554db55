/**
 * One round for one FlyteWorkflow key (`flyte:namespace/name`), level-based like the native round
 * (src/controller/round.ts), and the per-round flow of `flotilla run` (src/cli/flyte-run.ts) on
 * the cluster:
 *
 * lease check → read (cache, never older than our last write) → a terminal workflow only gets its
 * completion labels (then nothing more: no re-queue) → validate once per (uid, generation) →
 * translate → engine status from `status.flotilla` → the engine driver's round (pod plugin,
 * literal steps) → project into Flyte's status → inputs.pb (first round) and outputs.pb (success)
 * in the blob store → lease check → PUT of the whole object (no status subresource) with the
 * resourceVersion precondition → when to come back.
 *
 * Invalid: a spec that fails validation, cannot be translated, or carries an unreadable engine
 * state is Failed (phase 5) with a message and a Warning Event (`InvalidSpec`, `Untranslatable`,
 * `BadEngineState`); Failed is terminal, so the round never runs it again (no loop).
 *
 * The write also sets the labels FlytePropeller and the fleet keep: `shard-key` when it was
 * missing (the key FlyteAdmin would have written), `flotilla.io/shard`, and on a terminal phase
 * `termination-status` / `completed-time`; a terminal workflow loses `flyte.org/finalizer`, as
 * FlytePropeller removes it. A 409 re-reads with a GET and redoes the round (side effects are
 * idempotent: Pod names are deterministic, results are read from the store), up to
 * `maxConflictRetries`; then the round asks to be re-queued shortly.
 */
import type { Workflow } from '../../api/workflow.js';
import { describeError, FlotillaError } from '../../api/errors.js';
import type { DriverRoundResult } from '../../engine/driver.js';
import { KubeError } from '../../kube/errors.js';
import { encodeLiteralMap } from '../../flyte/literals/codec.js';
import { isObject, normalizeLiterals } from '../../flyte/literals/values.js';
import { FLYTE_FINALIZER, FlyteLabels } from '../../flyte/metadata.js';
import { completionLabels, engineStatusOf, projectFlyteStatus, workflowOutputsUri } from '../../flyte/project/index.js';
import { cacheHitOutputs } from '../../flyte/project/cache-hits.js';
import { shardOfFlyteWorkflow } from '../../flyte/shard.js';
import { isTerminalWorkflowPhase, WorkflowPhase, type FlyteWorkflowStatus } from '../../flyte/status.js';
import { translateFlyteWorkflow } from '../../flyte/translate/index.js';
import { FLYTE_API_VERSION, FLYTE_KIND, type FlyteWorkflow } from '../../flyte/types.js';
import { validateFlyteWorkflow } from '../../flyte/validation/index.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { executionMetadataPrefix, workflowInputsUri } from '../../storage/layout.js';
import type { WorkflowEvent } from '../k8s-events.js';
import type { RoundOutcome } from '../round.js';
import type { ExecutionEvent } from '../../engine/events.js';
import type { WorkflowStatus } from '../../api/status.js';
import { adminEventsOf } from '../../flyte/events/admin-events.js';
import type { AdminEventRecorder, AdminResult } from '../../events/admin/client.js';
import { judgeAdminResults } from './admin-policy.js';
import type { FlyteObject, FlyteWorkflowClient } from './client.js';
import { splitFlyteKey, cacheKeyOf } from './keys.js';

/** What an Event is about: the FlyteWorkflow. */
export interface FlyteEventTarget {
  apiVersion: string;
  kind: string;
  metadata: FlyteObject['metadata'];
}

export interface FlyteRoundOptions {
  shard: number;
  /** The fleet's shard count (for the `shard-key` a label-less object gets). */
  shardCount: number;
  client: Pick<FlyteWorkflowClient, 'get' | 'replace'>;
  /** The shard's FlyteWorkflow cache by `namespace/name`. */
  cache: { get(cacheKey: string): FlyteObject | undefined };
  driver: { runRound(workflow: Workflow, signal?: AbortSignal): Promise<DriverRoundResult> };
  /** Where node data lives (`status.dataDir` is under `<store>/metadata`). */
  store: BlobStore;
  /** Kubernetes Events (never throws). */
  recorder?: { record(target: FlyteEventTarget, event: WorkflowEvent): Promise<void> };
  /** False when this replica cannot prove it still holds the shard's lease. @defaultValue () => true */
  canRun?: () => boolean;
  /** Writes retried after 409 within one round. @defaultValue 3 */
  maxConflictRetries?: number;
  /** Re-queue delay when conflicts persist. @defaultValue 200 */
  conflictRequeueMs?: number;
  /** Re-queue delay of a fenced round. @defaultValue 1000 */
  fencedRequeueMs?: number;
  /** Re-queue delay of a running workflow when the driver names none. @defaultValue 5000 */
  idleRequeueMs?: number;
  /** @defaultValue Date.now */
  clock?: () => number;
  /**
   * FlyteAdmin: each round's execution events go there **before** its status is written, as
   * FlytePropeller sends them. The status is the outbox: a round whose events admin did not take
   * (unreachable) writes nothing and comes back; redone, it sends the same events again and admin
   * answers AlreadyExists for those it has. What each answer means: ./admin-policy.ts.
   */
  admin?: FlyteAdminOptions;
}

export interface FlyteAdminOptions {
  recorder: AdminEventRecorder;
  /** `producerId` of every event (admin's cluster id for this fleet). @defaultValue 'propeller' */
  producerId?: string;
  /** Largest node outputs sent inline; larger by `outputUri`; 0 = always by reference. @defaultValue 65536 */
  maxInlineOutputBytes?: number;
  /** Re-queue delay while admin cannot be reached. @defaultValue 2000 */
  retryMs?: number;
  /** Hears events admin refused for good (dropped, not retried). */
  onDropped?: (results: readonly AdminResult[]) => void;
}

export interface FlyteRoundRun {
  outcome: RoundOutcome;
  requeueAfterMs?: number;
  /** When the lease was last proven before the round's write (the ownership audit); not tracked here. */
  provenAt?: number;
}

const MAX_MESSAGE = 1024;
/** The fleet's shard label (src/api/workflow.ts `Labels.shard`). */
const SHARD_LABEL = 'flotilla.io/shard';

export class FlyteRoundRunner {
  /** The resourceVersion we last wrote per cache key, until the cache shows it. */
  private readonly written = new Map<string, string>();
  /** Validation verdicts per cache key, for one (uid, generation). */
  private readonly validated = new Map<
    string,
    { uid: string | undefined; generation: number | undefined; problems: string | undefined }
  >();

  constructor(private readonly options: FlyteRoundOptions) {}

  forget(key: string): void {
    this.written.delete(cacheKeyOf(key));
    this.validated.delete(cacheKeyOf(key));
  }

  async run(key: string, context: { signal?: AbortSignal } = {}): Promise<FlyteRoundRun> {
    if (!this.canRun()) return { outcome: 'fenced', requeueAfterMs: this.options.fencedRequeueMs ?? 1000 };
    let fresh = false;
    const retries = this.options.maxConflictRetries ?? 3;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const object = await this.read(key, fresh);
      if (!object) {
        this.forget(key);
        return { outcome: 'skipped' };
      }
      try {
        return await this.once(object, context.signal);
      } catch (error) {
        if (!(error instanceof KubeError && error.code === 'Conflict')) throw error;
        if (!this.canRun()) return { outcome: 'fenced', requeueAfterMs: this.options.fencedRequeueMs ?? 1000 };
        fresh = true;
      }
    }
    return { outcome: 'conflict', requeueAfterMs: this.options.conflictRequeueMs ?? 200 };
  }

  private canRun(): boolean {
    return this.options.canRun?.() ?? true;
  }

  private now(): number {
    return this.options.clock?.() ?? Date.now();
  }

  /** The object, never older than our last write of it. */
  private async read(key: string, fresh: boolean): Promise<FlyteObject | undefined> {
    const cacheKey = cacheKeyOf(key);
    const cached = this.options.cache.get(cacheKey);
    const awaited = this.written.get(cacheKey);
    if (!fresh && (awaited === undefined || cached?.metadata.resourceVersion === awaited)) {
      this.written.delete(cacheKey);
      return cached;
    }
    const [namespace, name] = splitFlyteKey(key);
    return this.options.client.get(namespace, name);
  }

  private async once(object: FlyteObject, signal: AbortSignal | undefined): Promise<FlyteRoundRun> {
    const status = isObject(object.status) ? (object.status as unknown as FlyteWorkflowStatus) : undefined;
    if (status && typeof status.phase === 'number' && isTerminalWorkflowPhase(status.phase)) {
      // Finished: only the completion labels and the finalizer may still be missing.
      const stored = await this.write(object, undefined);
      return { outcome: stored ? 'success' : 'skipped' };
    }
    const problems = this.problemsOf(object);
    if (problems !== undefined) return this.fail(object, 'InvalidSpec', `invalid workflow: ${problems}`);
    const fw = object as unknown as FlyteWorkflow;
    let translated: Workflow;
    let dataDir: string;
    let resumed: boolean;
    let before: WorkflowStatus | undefined;
    try {
      const engine = engineStatusOf(fw.status);
      before = engine === undefined ? undefined : structuredClone(engine);
      resumed = engine !== undefined;
      dataDir = (resumed ? fw.status?.dataDir : undefined) ?? this.dataDirOf(fw);
      const spec: FlyteWorkflow = { ...fw };
      delete spec.status;
      translated = translateFlyteWorkflow(spec, { dataDir });
      translated.metadata.labels = { ...(translated.metadata.labels ?? {}), [SHARD_LABEL]: String(this.options.shard) };
      if (engine) translated.status = engine;
    } catch (error) {
      if (!(error instanceof FlotillaError) || error.retryable) throw error;
      return this.fail(
        object,
        error.code === 'BadEngineState' ? 'BadEngineState' : 'Untranslatable',
        `${error.code}: ${describeError(error)}`,
      );
    }
    if (!resumed) {
      const literals = fw.inputs?.['literals'];
      await this.options.store.put(
        workflowInputsUri(dataDir),
        encodeLiteralMap(isObject(literals) ? normalizeLiterals(literals) : {}),
      );
    }
    const driven = await this.options.driver.runRound(translated, signal);
    const engineStatus = driven.status;
    // A cache hit ran no container: its outputs.pb is ours to write, before the status says Succeeded.
    for (const hit of cacheHitOutputs(translated, translated.status, engineStatus))
      await this.options.store.put(hit.uri, encodeLiteralMap(hit.literals));
    const projected = projectFlyteStatus(fw, engineStatus, { dataDir, now: this.now() });
    if (projected.outputRef !== undefined) {
      const values = isObject(engineStatus.outputs) ? engineStatus.outputs : {};
      await this.options.store.put(workflowOutputsUri(dataDir), encodeLiteralMap(normalizeLiterals(values)));
    }
    if (driven.events.length > 0) {
      const delivered = await this.deliverToAdmin(fw, driven.events, { dataDir, before, after: engineStatus });
      if (delivered.kind === 'retry') return { outcome: 'requeue', requeueAfterMs: delivered.requeueAfterMs };
      if (delivered.kind === 'fail') return this.fail(object, delivered.reason, delivered.message, false);
    }
    const previousPhase = status?.phase;
    const stored =
      driven.changed || !resumed ? await this.write(object, projected) : await this.write(object, undefined);
    if (stored && projected.phase !== previousPhase) this.recordPhase(stored, projected);
    if (isTerminalWorkflowPhase(projected.phase)) return { outcome: 'success' };
    const requeueAfterMs = driven.requeueAfterMs ?? this.options.idleRequeueMs ?? 5000;
    return { outcome: 'requeue', requeueAfterMs };
  }

  /** The problems of an object as one message, or undefined when valid (cached per uid and generation). */
  private problemsOf(object: FlyteObject): string | undefined {
    const key = `${object.metadata.namespace ?? 'default'}/${object.metadata.name}`;
    const cached = this.validated.get(key);
    if (cached && cached.uid === object.metadata.uid && cached.generation === object.metadata.generation)
      return cached.problems;
    const result = validateFlyteWorkflow(object);
    const problems = result.ok
      ? undefined
      : result.problems
          .slice(0, 20)
          .map((p) => `${p.path}: ${p.message}`)
          .join('; ');
    this.validated.set(key, { uid: object.metadata.uid, generation: object.metadata.generation, problems });
    return problems;
  }

  /** Where a new execution's data goes: `<store>/metadata/<project>-<domain>-<name>`. */
  private dataDirOf(fw: FlyteWorkflow): string {
    const execution = {
      project: fw.executionId.project || 'project',
      domain: fw.executionId.domain || 'domain',
      name: fw.executionId.name || fw.metadata.name,
    };
    return executionMetadataPrefix(this.options.store.join('metadata'), execution);
  }

  /** Failed (terminal) with `message`, and a Warning Event; terminal, so it runs no more. */
  private async fail(object: FlyteObject, reason: string, message: string, tellAdmin = true): Promise<FlyteRoundRun> {
    const now = new Date(this.now()).toISOString();
    const cut = message.slice(0, MAX_MESSAGE);
    if (tellAdmin && this.options.admin) {
      const event: ExecutionEvent = {
        id: '',
        scope: 'workflow',
        workflow: {
          namespace: object.metadata.namespace ?? 'default',
          name: object.metadata.name,
          uid: object.metadata.uid ?? '',
        },
        phase: 'Failed',
        occurredAt: now,
        message: cut,
        failure: { kind: 'user', reason, message: cut },
      };
      const fw = object as unknown as FlyteWorkflow;
      const delivered = await this.deliverToAdmin(
        { ...fw, executionId: isObject(object['executionId']) ? fw.executionId : {} },
        [event],
        { dataDir: '', before: undefined, after: { phase: 'Failed', message: cut } },
      );
      if (delivered.kind === 'retry') return { outcome: 'requeue', requeueAfterMs: delivered.requeueAfterMs };
    }
    const previous = isObject(object.status) ? object.status : {};
    const status: FlyteWorkflowStatus = {
      ...(previous as Partial<FlyteWorkflowStatus>),
      phase: WorkflowPhase.Failed,
      message: cut,
      stoppedAt: now,
      lastUpdatedAt: now,
      error: { code: reason, message: cut, kind: 'USER' },
    };
    const stored = await this.write(object, status);
    if (stored) void this.options.recorder?.record(eventTarget(stored), { type: 'Warning', reason, message: cut });
    return { outcome: 'invalid' };
  }

  /**
   * Sends a round's events to admin (when configured) and judges the answers: `ok` (write the
   * status), `retry` (admin unreachable: write nothing, come back), `fail` (admin ended it).
   */
  private async deliverToAdmin(
    fw: Pick<FlyteWorkflow, 'spec' | 'subWorkflows' | 'tasks' | 'executionId' | 'workflowMeta' | 'metadata'>,
    events: readonly ExecutionEvent[],
    state: { dataDir: string; before: WorkflowStatus | undefined; after: WorkflowStatus },
  ): Promise<
    { kind: 'ok' } | { kind: 'retry'; requeueAfterMs: number } | { kind: 'fail'; reason: string; message: string }
  > {
    const admin = this.options.admin;
    if (!admin) return { kind: 'ok' };
    const adminEvents = adminEventsOf(fw, events, {
      ...state,
      reportedAt: new Date(this.now()).toISOString(),
      ...(admin.producerId !== undefined ? { producerId: admin.producerId } : {}),
      ...(admin.maxInlineOutputBytes !== undefined ? { maxInlineOutputBytes: admin.maxInlineOutputBytes } : {}),
    });
    if (adminEvents.length === 0) return { kind: 'ok' };
    let results: AdminResult[];
    try {
      results = await admin.recorder.record(adminEvents);
    } catch (error) {
      if (error instanceof FlotillaError && !error.retryable) throw error;
      return { kind: 'retry', requeueAfterMs: admin.retryMs ?? 2000 };
    }
    const verdict = judgeAdminResults(results);
    if (verdict.dropped.length > 0) admin.onDropped?.(verdict.dropped);
    return verdict.kind === 'fail'
      ? { kind: 'fail', reason: verdict.reason, message: verdict.message }
      : { kind: 'ok' };
  }

  /**
   * PUT of the whole object with `status` (undefined: keep the stored one) and the labels it
   * should carry; skipped (undefined) when nothing would change. Fenced → undefined, nothing written.
   * 409 → `KubeError('Conflict')`.
   */
  private async write(object: FlyteObject, status: FlyteWorkflowStatus | undefined): Promise<FlyteObject | undefined> {
    const labels = { ...(object.metadata.labels ?? {}) };
    const executionId = isObject(object['executionId']) ? (object['executionId'] as FlyteWorkflow['executionId']) : {};
    const decision = shardOfFlyteWorkflow(
      { metadata: object.metadata, executionId },
      { shardCount: this.options.shardCount },
    );
    if (decision.source === 'hash') labels[FlyteLabels.shardKey] = String(decision.key);
    labels[SHARD_LABEL] = String(this.options.shard);
    const effective =
      status ?? (isObject(object.status) ? (object.status as unknown as FlyteWorkflowStatus) : undefined);
    const terminal =
      effective !== undefined && typeof effective.phase === 'number' && isTerminalWorkflowPhase(effective.phase);
    if (terminal && labels[FlyteLabels.terminationStatus] === undefined)
      Object.assign(labels, completionLabels(effective, this.now()));
    const finalizers = (object.metadata.finalizers ?? []).filter((f) => !terminal || f !== FLYTE_FINALIZER);
    const sameLabels = JSON.stringify(labels) === JSON.stringify(object.metadata.labels ?? {});
    const sameFinalizers = finalizers.length === (object.metadata.finalizers ?? []).length;
    if (status === undefined && sameLabels && sameFinalizers) return undefined;
    if (!this.canRun()) return undefined;
    const metadata = {
      ...object.metadata,
      labels,
      ...(object.metadata.finalizers !== undefined ? { finalizers } : {}),
    };
    const stored = await this.options.client.replace({
      ...object,
      metadata,
      ...(effective !== undefined ? { status: effective } : {}),
    });
    const rv = stored.metadata.resourceVersion;
    if (rv) this.written.set(`${stored.metadata.namespace ?? 'default'}/${stored.metadata.name}`, rv);
    return stored;
  }

  /** A Kubernetes Event per phase change written (Warning for Failed and Aborted); never blocks. */
  private recordPhase(stored: FlyteObject, status: FlyteWorkflowStatus): void {
    const name = Object.entries(WorkflowPhase).find(([, n]) => n === status.phase)?.[0] ?? String(status.phase);
    const warning = status.phase === WorkflowPhase.Failed || status.phase === WorkflowPhase.Aborted;
    const message = status.message ? `workflow ${name}: ${status.message}` : `workflow ${name}`;
    void this.options.recorder?.record(eventTarget(stored), {
      type: warning ? 'Warning' : 'Normal',
      reason: `Workflow${name}`,
      message,
    });
  }
}

function eventTarget(object: FlyteObject): FlyteEventTarget {
  return {
    apiVersion: object.apiVersion ?? FLYTE_API_VERSION,
    kind: object.kind ?? FLYTE_KIND,
    metadata: object.metadata,
  };
}
