/**
 * Kubernetes Events (core v1) about Workflows, for `kubectl describe wf` and `kubectl get events`.
 *
 * Names are deterministic: `<workflow>.<hash of uid, type, reason, message>`, so a repeat of the same
 * event is the same object and is aggregated by incrementing `count` and moving `lastTimestamp`
 * (what the client-go recorder's aggregator does). Records of one event are serialised here; a
 * replica restart finds the existing Event through `AlreadyExists` and continues its count.
 * `record` never throws into the caller: failures are logged and counted. Requests go through the
 * lean client (src/kube/rest.ts): one per workflow that changes phase, on the hot path.
 */
import { createHash } from 'node:crypto';
import { PatchStrategy, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import type { Workflow } from '../api/workflow.js';
import { kubeServer, toKubeError, type KubeError } from '../kube/errors.js';
import { kubeRestOf } from '../kube/keepalive.js';
import type { KubeRest } from '../kube/rest.js';

export type EventType = 'Normal' | 'Warning';

export interface WorkflowEvent {
  type: EventType;
  /** CamelCase, e.g. `InvalidSpec`, `NodeFailed`. */
  reason: string;
  message: string;
}

export interface EventRecorderOptions {
  kubeConfig: KubeConfig;
  /** `source.component` and `reportingComponent`. @defaultValue 'flotilla-controller' */
  component?: string;
  /** `reportingInstance` (the replica's name). @defaultValue '' */
  instance?: string;
  onSent?: () => void;
  onFailed?: (error: KubeError) => void;
  logger?: Logger;
  /**
   * Event counts remembered (to bump a repeated Event with one PATCH), the least recently written
   * dropped first. Forgetting one costs a GET when that Event repeats (its create answers
   * AlreadyExists), never a lost count; without a bound a replica kept one entry per Event for ever.
   * @defaultValue 10000
   */
  maxRemembered?: number;
}

const MAX_MESSAGE = 1024;

export class EventRecorder {
  private readonly rest: KubeRest;
  private readonly counts = new Map<string, number>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly log: Logger;

  /** `host:port` of the API server, named in transport errors. */
  private readonly server: string | undefined;

  constructor(private readonly options: EventRecorderOptions) {
    this.rest = kubeRestOf(options.kubeConfig);
    this.server = kubeServer(options.kubeConfig);
    this.log =
      options.logger ??
      pino({ name: 'k8s-events', level: process.env.FLOTILLA_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  }

  /** The deterministic Event name for `event` on `workflow`. */
  static eventName(workflow: Pick<Workflow, 'metadata'>, event: WorkflowEvent): string {
    const hash = createHash('sha256')
      .update(`${workflow.metadata.uid}\0${event.type}\0${event.reason}\0${event.message}`)
      .digest('hex')
      .slice(0, 16);
    return `${workflow.metadata.name.slice(0, 253 - 17)}.${hash}`;
  }

  /** Records (or aggregates) `event` on `workflow`. Resolves when done; never rejects. */
  record(workflow: Pick<Workflow, 'metadata' | 'apiVersion' | 'kind'>, event: WorkflowEvent): Promise<void> {
    const name = EventRecorder.eventName(workflow, event);
    const key = `${workflow.metadata.namespace}/${name}`;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.write(workflow, event, name));
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }

  /** Sets `key`'s count as the most recent entry, dropping the oldest past `maxRemembered`. */
  private remember(key: string, count: number): void {
    this.counts.delete(key);
    this.counts.set(key, count);
    if (this.counts.size > (this.options.maxRemembered ?? 10_000)) {
      const oldest = this.counts.keys().next();
      if (!oldest.done) this.counts.delete(oldest.value);
    }
  }

  /** How many Event counts are remembered now (bounded by `maxRemembered`). */
  get rememberedCount(): number {
    return this.counts.size;
  }

  private async write(
    workflow: Pick<Workflow, 'metadata' | 'apiVersion' | 'kind'>,
    event: WorkflowEvent,
    name: string,
  ): Promise<void> {
    const namespace = workflow.metadata.namespace;
    const key = `${namespace}/${name}`;
    const now = new Date();
    try {
      const known = this.counts.get(key);
      if (known !== undefined) {
        try {
          await this.bump(namespace, name, known + 1, now);
          this.remember(key, known + 1);
          this.options.onSent?.();
          return;
        } catch (error) {
          if (toKubeError(error, 'patch event', this.server).code !== 'NotFound') throw error;
          this.counts.delete(key);
        }
      }
      try {
        await this.rest.send({
          method: 'POST',
          path: eventsPath(namespace),
          body: this.body(workflow, event, name, now),
          discardAnswer: true,
        });
        this.remember(key, 1);
      } catch (error) {
        if (toKubeError(error, 'create event', this.server).code !== 'AlreadyExists') throw error;
        const existing = await this.rest.send<CoreV1Event>({ method: 'GET', path: eventsPath(namespace, name) });
        const count = (existing.count ?? 1) + 1;
        await this.bump(namespace, name, count, now);
        this.remember(key, count);
      }
      this.options.onSent?.();
    } catch (error) {
      const kubeError = toKubeError(
        error,
        `record event ${event.reason} on ${namespace}/${workflow.metadata.name}`,
        this.server,
      );
      this.log.warn(
        { reason: event.reason, workflow: `${namespace}/${workflow.metadata.name}`, code: kubeError.code },
        'cannot record Kubernetes event',
      );
      try {
        this.options.onFailed?.(kubeError);
      } catch {
        // a metrics callback never breaks the caller
      }
    }
  }

  private async bump(namespace: string, name: string, count: number, now: Date): Promise<void> {
    await this.rest.send({
      method: 'PATCH',
      path: eventsPath(namespace, name),
      body: { count, lastTimestamp: now.toISOString() },
      contentType: PatchStrategy.MergePatch,
      discardAnswer: true,
    });
  }

  private body(
    workflow: Pick<Workflow, 'metadata' | 'apiVersion' | 'kind'>,
    event: WorkflowEvent,
    name: string,
    now: Date,
  ): CoreV1Event {
    const component = this.options.component ?? 'flotilla-controller';
    const message = event.message.length > MAX_MESSAGE ? `${event.message.slice(0, MAX_MESSAGE - 1)}…` : event.message;
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: workflow.metadata.namespace },
      involvedObject: {
        apiVersion: workflow.apiVersion,
        kind: workflow.kind,
        name: workflow.metadata.name,
        namespace: workflow.metadata.namespace,
        uid: workflow.metadata.uid,
        resourceVersion: workflow.metadata.resourceVersion,
      },
      reason: event.reason,
      message,
      type: event.type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component },
      reportingComponent: `flotilla.io/${component}`,
      reportingInstance: this.options.instance ?? '',
    };
  }
}

function eventsPath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}
