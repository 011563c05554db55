/**
 * FlyteWorkflow reads and writes over the Kubernetes API. The CRD has no status subresource (as
 * Flyte's): a write replaces the whole object with its `metadata.resourceVersion` as precondition,
 * so a 409 is `KubeError('Conflict')`, never an overwrite.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { KubeError, kubeServer, toKubeError } from '../../kube/errors.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../flyte/types.js';
import type { JsonObject } from '../../api/schema.js';

/** What the controller reads and writes of a FlyteWorkflow: any object with metadata (validated later). */
export interface FlyteObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  status?: unknown;
  [field: string]: unknown;
}

const base = { group: FLYTE_GROUP, version: FLYTE_VERSION, plural: FLYTE_PLURAL };

export class FlyteWorkflowClient {
  private readonly api: CustomObjectsApi;
  private readonly server: string | undefined;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.server = kubeServer(kubeConfig);
  }

  /** The object, or undefined when it does not exist. */
  async get(namespace: string, name: string): Promise<FlyteObject | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ ...base, namespace, name })) as FlyteObject;
    } catch (error) {
      const kube = toKubeError(error, `get flyteworkflow ${namespace}/${name}`, this.server);
      if (kube.code === 'NotFound') return undefined;
      throw kube;
    }
  }

  /** Creates the object; false when one of that name exists (AlreadyExists). */
  async create(object: JsonObject & { metadata: { namespace: string; name: string } }): Promise<boolean> {
    const { namespace, name } = object.metadata;
    try {
      await this.api.createNamespacedCustomObject({ ...base, namespace, body: object });
      return true;
    } catch (error) {
      const kube = toKubeError(error, `create flyteworkflow ${namespace}/${name}`, this.server);
      if (kube.code === 'AlreadyExists') return false;
      throw kube;
    }
  }

  /** PUT of the whole object, guarded by its resourceVersion. Returns the stored object. */
  async replace(object: FlyteObject): Promise<FlyteObject> {
    const { namespace = 'default', name, resourceVersion } = object.metadata;
    if (!resourceVersion)
      throw new KubeError(
        'Invalid',
        `write of flyteworkflow ${namespace}/${name} without a resourceVersion precondition`,
      );
    try {
      return (await this.api.replaceNamespacedCustomObject({ ...base, namespace, name, body: object })) as FlyteObject;
    } catch (error) {
      throw toKubeError(error, `replace flyteworkflow ${namespace}/${name}`, this.server);
    }
  }

  /** Lists FlyteWorkflows in all namespaces matching `labelSelector`. */
  async list(
    labelSelector: string | undefined,
  ): Promise<{ items: FlyteObject[]; metadata?: { resourceVersion?: string } }> {
    try {
      return (await this.api.listClusterCustomObject({ ...base, ...(labelSelector ? { labelSelector } : {}) })) as {
        items: FlyteObject[];
        metadata?: { resourceVersion?: string };
      };
    } catch (error) {
      throw toKubeError(error, 'list flyteworkflows', this.server);
    }
  }
}
