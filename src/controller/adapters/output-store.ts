/**
 * The engine's `OutputStore` in ConfigMaps. A ref `<workflow uid>/<node path>` maps to the
 * deterministic name `flotilla-out-<sha256(ref)[:20]>` in the owning Workflow's namespace; the
 * ConfigMap carries an ownerReference to that Workflow (collected with it), the ref in an
 * annotation and the outputs as JSON under `data["outputs.json"]`.
 *
 * Every put/get names the owning Workflow (the driver passes the round's Workflow, the child
 * gateway the child), so concurrent rounds never mix. `put` is an idempotent upsert (create; AlreadyExists → replace). JSON larger
 * than `maxBytes` is `AdapterError('OutputTooLarge')` before any call is made.
 */
import { createHash } from 'node:crypto';
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import type { JsonObject } from '../../api/schema.js';
import { Labels, ownerReferenceTo } from '../../api/workflow.js';
import { labelValue } from '../../api/names.js';
import type { OutputOwner, OutputStore } from '../../engine/outputs.js';
import { kubeServer, toKubeError } from '../../kube/errors.js';
import { AdapterError } from './errors.js';

export const OUTPUT_KEY = 'outputs.json';
export const OUTPUT_REF_ANNOTATION = 'flotilla.io/output-ref';

export interface ConfigMapOutputStoreOptions {
  kubeConfig: KubeConfig;
  /** Largest JSON stored (a ConfigMap holds at most 1 MiB). @defaultValue 1000000 */
  maxBytes?: number;
  /**
   * The kind the owner reference names (the driver's Workflow is a translation of it, e.g. a
   * FlyteWorkflow). @defaultValue a flotilla.io Workflow
   */
  ownerKind?: { apiVersion: string; kind: string };
}

/** The ConfigMap name of `ref`. */
export function outputConfigMapName(ref: string): string {
  return `flotilla-out-${createHash('sha256').update(ref).digest('hex').slice(0, 20)}`;
}

export class ConfigMapOutputStore implements OutputStore {
  private readonly core: CoreV1Api;

  /** `host:port` of the API server, named in transport errors. */
  private readonly server: string | undefined;

  constructor(private readonly options: ConfigMapOutputStoreOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.server = kubeServer(options.kubeConfig);
  }

  private checkRef(ref: string): void {
    if (!ref.includes('/')) throw new AdapterError('BadRef', `output ref ${ref} is not <uid>/<path>`);
  }

  async put(ref: string, value: JsonObject, owner: OutputOwner): Promise<void> {
    this.checkRef(ref);
    const text = JSON.stringify(value);
    const max = this.options.maxBytes ?? 1_000_000;
    const size = Buffer.byteLength(text);
    if (size > max)
      throw new AdapterError(
        'OutputTooLarge',
        `outputs ${ref} are ${size} bytes, more than the ${max} a ConfigMap holds`,
      );
    const namespace = owner.metadata.namespace;
    const name = outputConfigMapName(ref);
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace,
        labels: { [Labels.workflow]: labelValue(owner.metadata.name) },
        annotations: { [OUTPUT_REF_ANNOTATION]: ref },
        ...(owner.metadata.uid.length > 0 && ref.startsWith(`${owner.metadata.uid}/`)
          ? { ownerReferences: [{ ...ownerReferenceTo(owner), ...(this.options.ownerKind ?? {}) }] }
          : {}),
      },
      data: { [OUTPUT_KEY]: text },
    };
    try {
      await this.core.createNamespacedConfigMap({ namespace, body });
      return;
    } catch (error) {
      const kube = toKubeError(error, `create configmap ${namespace}/${name}`, this.server);
      if (kube.code !== 'AlreadyExists') throw kube;
    }
    try {
      await this.core.replaceNamespacedConfigMap({ namespace, name, body });
    } catch (error) {
      throw toKubeError(error, `replace configmap ${namespace}/${name}`, this.server);
    }
  }

  async get(ref: string, owner: OutputOwner): Promise<JsonObject | undefined> {
    this.checkRef(ref);
    const namespace = owner.metadata.namespace;
    const name = outputConfigMapName(ref);
    let map: V1ConfigMap;
    try {
      map = await this.core.readNamespacedConfigMap({ namespace, name });
    } catch (error) {
      const kube = toKubeError(error, `get configmap ${namespace}/${name}`, this.server);
      if (kube.code === 'NotFound') return undefined;
      throw kube;
    }
    const text = map.data?.[OUTPUT_KEY];
    if (text === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      return parsed as JsonObject;
    } catch (cause) {
      throw new AdapterError('CorruptOutput', `configmap ${namespace}/${name} does not hold a JSON object`, { cause });
    }
  }
}
