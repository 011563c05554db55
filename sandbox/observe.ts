/**
 * What the sandbox sees of the cluster while it runs: every Workflow (an informer over all
 * namespaces, so the view can count phases), the history of their statuses in watch order (for
 * the invariant checker), and the event sink's events (for the view's "last events" and the
 * checker). Start with `start()`, end with `stop()`.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Workflow } from '../src/api/workflow.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from '../src/kube/workflow-client.js';
import { ResourceInformer } from '../src/kube/informer.js';
import type { RecordedEvent, StatusObservation } from './invariants.js';

export interface WorkflowSummary {
  namespace: string;
  name: string;
  phase: string;
  shard: string | null;
  load: boolean;
  /** A child Workflow launched by another (not submitted by the sandbox). */
  child: boolean;
  createdAt: number;
  /** When the observer first saw it terminal (ms). */
  finishedAt: number | null;
}

export const LOAD_LABEL = 'flotilla.io/sandbox-load';

export interface ObserverOptions {
  kubeConfig: KubeConfig;
  /** The event sink's address; no events are recorded without it. */
  eventSink?: string | null;
  /** Keep this many recent events for the view. @defaultValue 8 */
  recentEvents?: number;
}

function attemptsOf(w: Workflow): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, node] of Object.entries(w.status?.nodes ?? {}))
    if (node.attempts !== undefined) out[id] = node.attempts;
  return out;
}

const terminal = new Set(['Succeeded', 'Failed', 'Aborted', 'TimedOut']);

export class Observer {
  readonly workflows = new Map<string, WorkflowSummary>();
  readonly history: StatusObservation[] = [];
  readonly events: RecordedEvent[] = [];
  readonly recent: RecordedEvent[] = [];
  /** Finish times of load workflows (ms), for throughput. */
  readonly finishes: number[] = [];
  private readonly informer: ResourceInformer<Workflow>;
  private readonly abort = new AbortController();
  private eventsDone: Promise<void> = Promise.resolve();

  constructor(private readonly options: ObserverOptions) {
    const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.informer = new ResourceInformer<Workflow>({
      kubeConfig: options.kubeConfig,
      path: `/apis/${WORKFLOW_GROUP}/${WORKFLOW_VERSION}/${WORKFLOW_PLURAL}`,
      resource: 'workflows',
      watchdogMs: 30_000,
      list: async () =>
        (await api.listClusterCustomObject({
          group: WORKFLOW_GROUP,
          version: WORKFLOW_VERSION,
          plural: WORKFLOW_PLURAL,
        })) as { items: Workflow[]; metadata?: { resourceVersion?: string } },
    });
    this.informer.onChange((type, w) => this.note(type, w));
  }

  private note(type: string, w: Workflow): void {
    const key = `${w.metadata.namespace}/${w.metadata.name}`;
    if (type === 'delete') {
      this.workflows.delete(key);
      return;
    }
    const phase = w.status?.phase ?? 'Pending';
    const prev = this.workflows.get(key);
    const now = Date.now();
    const finishedAt = prev?.finishedAt ?? (terminal.has(phase) ? now : null);
    const load = w.metadata.labels?.[LOAD_LABEL] === 'true';
    if (finishedAt !== null && prev?.finishedAt == null && load) this.finishes.push(finishedAt);
    this.workflows.set(key, {
      namespace: w.metadata.namespace,
      name: w.metadata.name,
      phase,
      shard: w.metadata.labels?.['flotilla.io/shard'] ?? w.status?.shard ?? null,
      load,
      child: w.metadata.labels?.['flotilla.io/parent'] !== undefined,
      createdAt: w.metadata.creationTimestamp ? Date.parse(w.metadata.creationTimestamp) : now,
      finishedAt,
    });
    this.history.push({
      namespace: w.metadata.namespace,
      name: w.metadata.name,
      phase: w.status?.phase,
      attempts: attemptsOf(w),
    });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync(30_000);
    const address = this.options.eventSink;
    if (address) this.eventsDone = this.followEvents(address);
  }

  private async followEvents(address: string): Promise<void> {
    const { createEventSinkClient, watchEvents } = await import('../src/events/client.js');
    const client = createEventSinkClient(address);
    let from = 'beginning';
    const keep = this.options.recentEvents ?? 8;
    while (!this.abort.signal.aborted) {
      try {
        for await (const stored of watchEvents(client, { from, signal: this.abort.signal })) {
          from = stored.cursor;
          const e = stored.event;
          const recorded: RecordedEvent = {
            id: e.id,
            scope: e.scope,
            namespace: e.workflow.namespace,
            name: e.workflow.name,
            phase: e.phase,
            occurredAt: e.occurredAt,
          };
          const node = e.nodeId ? ` ${e.nodeId}${e.attempt ? `#${e.attempt}` : ''}` : '';
          this.events.push(recorded);
          this.recent.push({ ...recorded, id: `${e.scope}${node}` });
          if (this.recent.length > keep) this.recent.shift();
        }
      } catch {
        // the sink restarted or the stream broke: resume from the last cursor
      }
      if (!this.abort.signal.aborted) await new Promise((r) => setTimeout(r, 500));
    }
    client.close();
  }

  /** Workflows counted by phase (all, or only the load's). */
  phases(filter: (w: WorkflowSummary) => boolean = () => true): Record<string, number> {
    const out: Record<string, number> = {};
    for (const w of this.workflows.values()) if (filter(w)) out[w.phase] = (out[w.phase] ?? 0) + 1;
    return out;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.informer.stop();
    await this.eventsDone;
  }
}

/** Every stored event of the given workflows (`namespace/name`), paged through `listEvents`. */
export async function listStoredEvents(
  address: string,
  keys: readonly string[],
  concurrency = 8,
): Promise<RecordedEvent[]> {
  const { createEventSinkClient, listEvents } = await import('../src/events/client.js');
  const client = createEventSinkClient(address);
  const out: RecordedEvent[] = [];
  const queue = [...keys];
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
          const [namespace = '', name = ''] = key.split('/');
          let pageToken = '';
          do {
            const page = await listEvents(client, { namespace, name, pageSize: 500, pageToken });
            for (const { event: e } of page.events)
              out.push({
                id: e.id,
                scope: e.scope,
                namespace: e.workflow.namespace,
                name: e.workflow.name,
                phase: e.phase,
                occurredAt: e.occurredAt,
              });
            pageToken = page.nextPageToken;
          } while (pageToken !== '');
        }
      }),
    );
  } finally {
    client.close();
  }
  return out;
}
