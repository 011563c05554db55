/**
 * The console's view of the cluster: resilient informers (src/kube/informer.ts) over Workflows and
 * FlyteWorkflows in every namespace and over the fleet's Leases, so pages and live streams read a
 * watched cache and never poll objects. A node panel's Pods and Events are read once when it is
 * opened (a few objects, by label and field selectors).
 *
 * Rounds/s: each replica publishes a rounds counter per shard in its member lease's load; the
 * view keeps the counters of the last two renewals it saw and derives the rate (model.ts).
 *
 * FlyteWorkflows are watched only when their CRD is served (a cluster without the Flyte front end
 * answers 404 to the first list; the console then shows native Workflows alone).
 *
 * Ordering: `onChange` listeners run after the cache changed, so a listener reading the view sees
 * the change. `start` resolves after the first list of every informer.
 */
import { CoreV1Api, CoordinationV1Api, CustomObjectsApi, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { ResourceInformer, type CachedObject } from '../kube/informer.js';
import { KubeError, kubeServer, toKubeError } from '../kube/errors.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from '../kube/workflow-client.js';
import { Labels, WorkflowAnnotations } from '../api/workflow.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../flyte/types.js';
import { toFields } from '../../shard-manager/leases/lease-client.js';
import { LEASE_KIND_LABEL, memberLeaseName } from '../../shard-manager/leases/names.js';
import {
  fleetStatus,
  type FleetStatus,
  type ReplicaStatus,
  type ShardStatus,
} from '../../shard-manager/fleet-status.js';
import { LOAD_ANNOTATION, parseLoad } from '../../shard-manager/leases/load.js';
import {
  roundsRate,
  workflowRow,
  type AnyWorkflowObject,
  type RoundsSample,
  type WorkflowKind,
  type WorkflowRow,
} from './model.js';

type WorkflowObject = AnyWorkflowObject & CachedObject;

export interface ClusterViewOptions {
  kubeConfig: KubeConfig;
  /** The namespace of the fleet's Leases. @defaultValue 'flotilla-system' */
  fleetNamespace?: string;
  /** How long `start` waits for the first lists. @defaultValue 30000 */
  syncTimeoutMs?: number;
}

/** What changed, for the live streams: a workflow (by kind and key) or the fleet's leases. */
export type ClusterChange =
  { what: 'workflow'; kind: WorkflowKind; key: string; type: 'add' | 'update' | 'delete' } | { what: 'fleet' };

/** A pod of a node, as its panel shows it (no spec: env values may hold secrets). */
export interface PodSummary {
  name: string;
  phase: string;
  attempt: string;
  node: string;
  startedAt: string | null;
  message: string | null;
}

export interface EventSummary {
  type: string;
  reason: string;
  message: string;
  object: string;
  count: number;
  lastTimestamp: string | null;
}

/** The fleet page's data: the fleet status with rounds/s per replica and shard, phases per shard, the moves. */
export interface ConsoleFleet extends Omit<FleetStatus, 'replicas' | 'shards'> {
  /** `roundsPerSecond`: between the member lease's last two renewals seen (null before two). */
  replicas: (ReplicaStatus & { roundsPerSecond: number | null })[];
  shards: (ShardStatus & { roundsPerSecond: number | null })[];
  phasesByShard: Record<string, Record<string, number>>;
  moves: ShardMove[];
}

/** A shard moved from one holder to another (seen on its lease), for the fleet page's log. */
export interface ShardMove {
  at: string;
  shard: string;
  from: string | null;
  to: string | null;
}

export class ClusterView {
  readonly fleetNamespace: string;
  private readonly workflows: ResourceInformer<WorkflowObject>;
  private flyte: ResourceInformer<WorkflowObject> | undefined;
  private readonly leases: ResourceInformer<V1Lease>;
  private readonly listeners = new Set<(change: ClusterChange) => void>();
  private readonly holders = new Map<string, string | null>();
  /** Per member lease: the last two renewals' rounds counters (for rounds/s). */
  private readonly roundSamples = new Map<string, { before?: RoundsSample; after: RoundsSample }>();
  /** The last moves, newest last (bounded). */
  readonly moves: ShardMove[] = [];
  private readonly core: CoreV1Api;
  private readonly server: string | undefined;

  constructor(private readonly options: ClusterViewOptions) {
    const kc = options.kubeConfig;
    this.fleetNamespace = options.fleetNamespace ?? 'flotilla-system';
    this.server = kubeServer(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    this.workflows = this.customInformer(custom, WORKFLOW_GROUP, WORKFLOW_VERSION, WORKFLOW_PLURAL, 'Workflow');
    this.flyte = this.customInformer(custom, FLYTE_GROUP, FLYTE_VERSION, FLYTE_PLURAL, 'FlyteWorkflow');
    const coordination = kc.makeApiClient(CoordinationV1Api);
    const namespace = this.fleetNamespace;
    this.leases = new ResourceInformer<V1Lease>({
      kubeConfig: kc,
      path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
      labelSelector: LEASE_KIND_LABEL,
      resource: 'leases',
      list: async (labelSelector) => {
        try {
          return await coordination.listNamespacedLease({ namespace, ...(labelSelector ? { labelSelector } : {}) });
        } catch (error) {
          throw toKubeError(error, `list leases in ${namespace}`, this.server);
        }
      },
    });
    this.leases.onChange((_type, lease) => {
      this.recordMove(lease);
      this.recordRounds(lease);
      this.emit({ what: 'fleet' });
    });
  }

  private customInformer(
    custom: CustomObjectsApi,
    group: string,
    version: string,
    plural: string,
    kind: WorkflowKind,
  ): ResourceInformer<WorkflowObject> {
    const informer = new ResourceInformer<WorkflowObject>({
      kubeConfig: this.options.kubeConfig,
      path: `/apis/${group}/${version}/${plural}`,
      resource: plural,
      list: async (labelSelector) => {
        try {
          const body = (await custom.listClusterCustomObject({
            group,
            version,
            plural,
            ...(labelSelector ? { labelSelector } : {}),
          })) as { items?: WorkflowObject[]; metadata?: { resourceVersion?: string } };
          // A list's items carry no kind; the page needs it to tell the two apart.
          return { ...body, items: (body.items ?? []).map((item) => ({ ...item, kind })) };
        } catch (error) {
          throw toKubeError(error, `list ${plural}.${group}`, this.server);
        }
      },
    });
    informer.onChange((type, object) => {
      const key = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
      this.emit({ what: 'workflow', kind, key, type });
      // Workflows' phases per shard are on the fleet page too.
      this.emit({ what: 'fleet' });
    });
    return informer;
  }

  /** Lists and watches; resolves once every informer listed (FlyteWorkflows: unless their CRD is absent). */
  async start(): Promise<void> {
    const timeoutMs = this.options.syncTimeoutMs ?? 30_000;
    // One direct list first, as the CLI's live views do: an unreachable server or a missing CRD is
    // named at once (the informers would retry quietly until the sync timeout).
    await this.probe(WORKFLOW_GROUP, WORKFLOW_VERSION, WORKFLOW_PLURAL);
    this.workflows.start();
    this.leases.start();
    await Promise.all([this.workflows.waitForSync(timeoutMs), this.leases.waitForSync(timeoutMs)]);
    if (await this.flyteServed()) {
      this.flyte?.start();
      await this.flyte?.waitForSync(timeoutMs);
    } else this.flyte = undefined;
  }

  /** Lists one object of the kind; a `KubeError` names the server (or the API server's refusal). */
  private async probe(group: string, version: string, plural: string): Promise<void> {
    try {
      const custom = this.options.kubeConfig.makeApiClient(CustomObjectsApi);
      await custom.listClusterCustomObject({ group, version, plural, limit: 1 });
    } catch (error) {
      throw toKubeError(error, `list ${plural}.${group}`, this.server);
    }
  }

  private async flyteServed(): Promise<boolean> {
    try {
      await this.probe(FLYTE_GROUP, FLYTE_VERSION, FLYTE_PLURAL);
      return true;
    } catch (error) {
      if (error instanceof KubeError && error.code === 'NotFound') return false;
      throw error;
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.workflows.stop(), this.leases.stop(), this.flyte?.stop()]);
    this.listeners.clear();
  }

  onChange(listener: (change: ClusterChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: ClusterChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private recordMove(lease: V1Lease): void {
    const name = lease.metadata?.name ?? '';
    if (!name.startsWith('flotilla-shard-')) return;
    const holder = lease.spec?.holderIdentity ?? null;
    const before = this.holders.get(name);
    this.holders.set(name, holder);
    if (before === undefined || before === holder) return;
    this.moves.push({
      at: new Date().toISOString(),
      shard: name.slice('flotilla-shard-'.length),
      from: before,
      to: holder,
    });
    if (this.moves.length > 200) this.moves.splice(0, this.moves.length - 200);
  }

  /** Keeps a member lease's rounds counters at each renewal (a new `renewTime`), the last two. */
  private recordRounds(lease: V1Lease): void {
    const fields = toFields(lease);
    if (!fields.name.startsWith(memberLeaseName('')) || fields.renewTimeMs === undefined) return;
    const rounds: Record<string, number> = {};
    for (const [shard, load] of parseLoad(fields.annotations?.[LOAD_ANNOTATION])) rounds[shard] = load.rounds;
    const seen = this.roundSamples.get(fields.name);
    if (seen && seen.after.atMs === fields.renewTimeMs) return;
    this.roundSamples.set(fields.name, {
      ...(seen ? { before: seen.after } : {}),
      after: { atMs: fields.renewTimeMs, rounds },
    });
  }

  get flyteWatched(): boolean {
    return this.flyte !== undefined;
  }

  workflowRows(): WorkflowRow[] {
    return [...this.workflows.list(), ...(this.flyte?.list() ?? [])].map(workflowRow);
  }

  workflow(kind: WorkflowKind, namespace: string, name: string): AnyWorkflowObject | undefined {
    const informer = kind === 'FlyteWorkflow' ? this.flyte : this.workflows;
    return informer?.get(`${namespace}/${name}`);
  }

  /** A Workflow by key, else a FlyteWorkflow of that key. */
  findWorkflow(namespace: string, name: string): AnyWorkflowObject | undefined {
    return this.workflow('Workflow', namespace, name) ?? this.workflow('FlyteWorkflow', namespace, name);
  }

  /** The fleet: replicas, shards (owner, queue depth from the member leases' load), workflows by phase per shard. */
  fleet(nowMs: number): ConsoleFleet {
    const status = fleetStatus(this.fleetNamespace, this.leases.list().map(toFields), nowMs);
    const rates = new Map(
      status.replicas.map((r) => {
        const samples = this.roundSamples.get(memberLeaseName(r.replica));
        return [r.replica, samples ? roundsRate(samples.before, samples.after) : null];
      }),
    );
    const phasesByShard: Record<string, Record<string, number>> = {};
    for (const row of this.workflowRows()) {
      const shard = row.shard || '-';
      const phases = (phasesByShard[shard] ??= {});
      phases[row.phase] = (phases[row.phase] ?? 0) + 1;
    }
    return {
      ...status,
      replicas: status.replicas.map((r) => ({ ...r, roundsPerSecond: rates.get(r.replica)?.perSecond ?? null })),
      shards: status.shards.map((s) => ({
        ...s,
        roundsPerSecond: (s.owner ? rates.get(s.owner)?.byShard[s.shard] : undefined) ?? null,
      })),
      phasesByShard,
      moves: [...this.moves],
    };
  }

  /** The node's pods (by the workflow label and node-path annotation) and the Events of the workflow and those pods. */
  async nodeResources(
    namespace: string,
    workflow: string,
    nodeId: string,
  ): Promise<{ pods: PodSummary[]; events: EventSummary[] }> {
    try {
      const pods = (
        await this.core.listNamespacedPod({ namespace, labelSelector: `${Labels.workflow}=${workflow}` })
      ).items.filter(
        (pod) =>
          (pod.metadata?.annotations?.[WorkflowAnnotations.nodePath] ?? pod.metadata?.labels?.[Labels.node]) === nodeId,
      );
      const podNames = new Set(pods.map((p) => p.metadata?.name ?? ''));
      const events = (await this.core.listNamespacedEvent({ namespace })).items.filter(
        (e) => e.involvedObject.name === workflow || podNames.has(e.involvedObject.name ?? ''),
      );
      return {
        pods: pods.map((pod) => ({
          name: pod.metadata?.name ?? '',
          phase: pod.status?.phase ?? 'Unknown',
          attempt: pod.metadata?.labels?.[Labels.attempt] ?? '',
          node: pod.spec?.nodeName ?? '',
          startedAt: pod.status?.startTime ? new Date(pod.status.startTime).toISOString() : null,
          message: pod.status?.message ?? null,
        })),
        events: events
          .map((e) => ({
            type: e.type ?? '',
            reason: e.reason ?? '',
            message: e.message ?? '',
            object: `${e.involvedObject.kind ?? ''}/${e.involvedObject.name ?? ''}`,
            count: e.count ?? 1,
            lastTimestamp: timeOf(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp),
          }))
          .sort((a, b) => (a.lastTimestamp ?? '').localeCompare(b.lastTimestamp ?? '')),
      };
    } catch (error) {
      throw toKubeError(error, `read pods and events of ${namespace}/${workflow}`, this.server);
    }
  }
}

function timeOf(value: Date | string | undefined): string | null {
  if (value === undefined) return null;
  return value instanceof Date ? value.toISOString() : value;
}
