/**
 * Typed wrappers for the Workflow calls a replica makes. client-node's errors
 * become `KubeError`s with a code read from the HTTP status and the Status `reason`, never from
 * message text. The calls a round makes per workflow (`get`, `replaceStatus`, `mergePatch`) go
 * through the lean client (`rest.ts`: the same requests and errors, without client-node's
 * per-request machinery); the rest through client-node.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, PatchStrategy } from '@kubernetes/client-node';
import type { NewWorkflow, Workflow } from '../api/workflow.js';
import { KubeError, kubeServer, toKubeError } from './errors.js';
import { kubeRestOf } from './keepalive.js';
import type { KubeRest } from './rest.js';

export const WORKFLOW_GROUP = 'flotilla.io';
export const WORKFLOW_VERSION = 'v1alpha1';
export const WORKFLOW_PLURAL = 'workflows';

export interface WorkflowList {
  items: Workflow[];
  /** The list's resourceVersion (start a watch from it). */
  resourceVersion: string;
}

export interface ListOptions {
  /** Omit for all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** The Workflow custom-object calls a replica makes, with typed errors. */
export class WorkflowClient {
  readonly api: CustomObjectsApi;
  readonly core: CoreV1Api;

  /** `host:port` of the API server, named in transport errors. */
  private readonly server: string | undefined;
  private readonly rest: KubeRest;

  constructor(readonly kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.server = kubeServer(kubeConfig);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.rest = kubeRestOf(kubeConfig);
  }

  private base() {
    return { group: WORKFLOW_GROUP, version: WORKFLOW_VERSION, plural: WORKFLOW_PLURAL };
  }

  async get(namespace: string, name: string): Promise<Workflow> {
    try {
      return await this.rest.send<Workflow>({ method: 'GET', path: workflowPath(namespace, name) });
    } catch (error) {
      throw toKubeError(error, `get workflow ${namespace}/${name}`, this.server);
    }
  }

  async list(options: ListOptions = {}): Promise<WorkflowList> {
    try {
      const query = { ...this.base(), labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
      const body: unknown = options.namespace
        ? await this.api.listNamespacedCustomObject({ ...query, namespace: options.namespace })
        : await this.api.listClusterCustomObject(query);
      return asList(body);
    } catch (error) {
      throw toKubeError(error, 'list workflows', this.server);
    }
  }

  /**
   * PUT `/status` with the workflow's `metadata.resourceVersion` as precondition: 409 →
   * `KubeError('Conflict')`, never an overwrite. Returns the stored object (new resourceVersion).
   */
  async replaceStatus(workflow: Workflow): Promise<Workflow> {
    const { namespace, name, resourceVersion } = workflow.metadata;
    if (!resourceVersion)
      throw new KubeError('Invalid', `status write of ${namespace}/${name} without a resourceVersion precondition`);
    try {
      return await this.rest.send<Workflow>({
        method: 'PUT',
        path: `${workflowPath(namespace, name)}/status`,
        body: workflow,
      });
    } catch (error) {
      throw toKubeError(error, `replace status of workflow ${namespace}/${name}`, this.server);
    }
  }

  /** A JSON merge patch (explicit content type: client-node defaults to json-patch). */
  async mergePatch(namespace: string, name: string, patch: Record<string, unknown>): Promise<Workflow> {
    try {
      return await this.rest.send<Workflow>({
        method: 'PATCH',
        path: workflowPath(namespace, name),
        body: patch,
        contentType: PatchStrategy.MergePatch,
      });
    } catch (error) {
      throw toKubeError(error, `merge-patch workflow ${namespace}/${name}`, this.server);
    }
  }

  /** Creates a (child) Workflow; an existing name is `KubeError('AlreadyExists')`. */
  async create(workflow: NewWorkflow): Promise<Workflow> {
    const { namespace, name } = workflow.metadata;
    try {
      return (await this.api.createNamespacedCustomObject({ ...this.base(), namespace, body: workflow })) as Workflow;
    } catch (error) {
      throw toKubeError(error, `create workflow ${namespace}/${name}`, this.server);
    }
  }

  /** Deletes a Workflow; a missing one is `KubeError('NotFound')`. */
  async delete(namespace: string, name: string): Promise<void> {
    try {
      await this.api.deleteNamespacedCustomObject({ ...this.base(), namespace, name });
    } catch (error) {
      throw toKubeError(error, `delete workflow ${namespace}/${name}`, this.server);
    }
  }
}

function workflowPath(namespace: string, name: string): string {
  return `/apis/${WORKFLOW_GROUP}/${WORKFLOW_VERSION}/namespaces/${encodeURIComponent(namespace)}/${WORKFLOW_PLURAL}/${encodeURIComponent(name)}`;
}

function asList(body: unknown): WorkflowList {
  if (typeof body !== 'object' || body === null) throw new KubeError('Unknown', 'list answered with no object');
  const record = body as { items?: unknown; metadata?: { resourceVersion?: unknown } };
  const items = Array.isArray(record.items) ? (record.items as Workflow[]) : [];
  const rv = record.metadata?.resourceVersion;
  return { items, resourceVersion: typeof rv === 'string' ? rv : '' };
}
