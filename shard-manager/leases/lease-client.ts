/**
 * The fleet's Lease reads and writes, over @kubernetes/client-node. Every update carries the
 * resourceVersion it read (a 409 means someone else wrote first: re-read, re-decide). Times are
 * written as MicroTime (six fractional digits), which a real API server insists on.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { kubeServer, toKubeError } from '../../src/kube/errors.js';
import { fromMicroTime } from './micro-time.js';
import { LEASE_KIND_LABEL, type LeaseKind } from './names.js';
import type { LeaseFields } from './lease-state.js';

export interface LeaseWrite {
  readonly holderIdentity?: string | null;
  readonly leaseDurationSeconds?: number;
  readonly renewTimeMs?: number;
  readonly acquireTimeMs?: number;
  readonly leaseTransitions?: number;
  /** Annotations to set; a `null` value removes the key. */
  readonly annotations?: Readonly<Record<string, string | null>>;
}

export class LeaseClient {
  private readonly api: CoordinationV1Api;

  /** `host:port` of the API server, named in transport errors. */
  private readonly server: string | undefined;

  constructor(
    kubeConfig: KubeConfig,
    /** The fleet's namespace, where every lease lives. */
    readonly namespace: string,
  ) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.server = kubeServer(kubeConfig);
  }

  async get(name: string): Promise<LeaseFields | undefined> {
    try {
      return toFields(await this.api.readNamespacedLease({ name, namespace: this.namespace }));
    } catch (error) {
      const mapped = toKubeError(error, `lease ${name}`, this.server);
      if (mapped.code === 'NotFound') return undefined;
      throw mapped;
    }
  }

  /** Every lease of one kind (member, shard, manager), with the list's resourceVersion. */
  async list(kind: LeaseKind): Promise<{ leases: LeaseFields[]; resourceVersion: string | undefined }> {
    try {
      const list = await this.api.listNamespacedLease({
        namespace: this.namespace,
        labelSelector: `${LEASE_KIND_LABEL}=${kind}`,
      });
      return { leases: list.items.map(toFields), resourceVersion: list.metadata?.resourceVersion };
    } catch (error) {
      throw toKubeError(error, `list ${kind} leases`, this.server);
    }
  }

  async create(name: string, kind: LeaseKind, write: LeaseWrite): Promise<LeaseFields> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: this.namespace,
        labels: { [LEASE_KIND_LABEL]: kind },
        annotations: definedAnnotations(write.annotations),
      },
      spec: specOf(write, {}),
    };
    try {
      return toFields(await this.api.createNamespacedLease({ namespace: this.namespace, body }));
    } catch (error) {
      throw toKubeError(error, `lease ${name}`, this.server);
    }
  }

  /**
   * Replaces the lease's spec fields and annotations named in `write`, guarded by the
   * resourceVersion of `current`: a 409 surfaces as `LeaseError` code `Conflict`.
   */
  async update(current: LeaseFields, write: LeaseWrite): Promise<LeaseFields> {
    const annotations: Record<string, string> = { ...(current.annotations ?? {}) };
    for (const [key, value] of Object.entries(write.annotations ?? {})) {
      if (value === null) delete annotations[key];
      else annotations[key] = value;
    }
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: current.name,
        namespace: this.namespace,
        resourceVersion: current.resourceVersion,
        labels: current.labels ? { ...current.labels } : undefined,
        annotations,
      },
      spec: specOf(write, current),
    };
    try {
      return toFields(await this.api.replaceNamespacedLease({ name: current.name, namespace: this.namespace, body }));
    } catch (error) {
      throw toKubeError(error, `lease ${current.name}`, this.server);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.api.deleteNamespacedLease({ name, namespace: this.namespace });
    } catch (error) {
      const mapped = toKubeError(error, `lease ${name}`, this.server);
      if (mapped.code !== 'NotFound') throw mapped;
    }
  }
}

function specOf(write: LeaseWrite, current: Partial<LeaseFields>): V1Lease['spec'] {
  const pick = <K extends keyof LeaseWrite & keyof LeaseFields>(key: K) => (key in write ? write[key] : current[key]);
  const holder = pick('holderIdentity');
  const renew = pick('renewTimeMs');
  const acquire = pick('acquireTimeMs');
  const duration = pick('leaseDurationSeconds');
  const transitions = pick('leaseTransitions');
  return {
    ...(holder ? { holderIdentity: holder } : {}),
    ...(typeof duration === 'number' ? { leaseDurationSeconds: duration } : {}),
    ...(typeof renew === 'number' ? { renewTime: new V1MicroTime(renew) } : {}),
    ...(typeof acquire === 'number' ? { acquireTime: new V1MicroTime(acquire) } : {}),
    ...(typeof transitions === 'number' ? { leaseTransitions: transitions } : {}),
  };
}

function definedAnnotations(annotations: LeaseWrite['annotations']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations ?? {})) if (value !== null) out[key] = value;
  return out;
}

/** Converts a client-node Lease (whose MicroTimes may arrive as strings or Dates) to plain fields. */
export function toFields(lease: V1Lease): LeaseFields {
  const spec = lease.spec ?? {};
  const renew = fromMicroTime(spec.renewTime as Date | string | undefined);
  const acquire = fromMicroTime(spec.acquireTime as Date | string | undefined);
  return {
    name: lease.metadata?.name ?? '',
    ...(lease.metadata?.resourceVersion !== undefined ? { resourceVersion: lease.metadata.resourceVersion } : {}),
    holderIdentity: spec.holderIdentity ?? null,
    leaseDurationSeconds: spec.leaseDurationSeconds ?? null,
    ...(renew !== undefined ? { renewTimeMs: renew } : {}),
    ...(acquire !== undefined ? { acquireTimeMs: acquire } : {}),
    leaseTransitions: spec.leaseTransitions ?? null,
    annotations: { ...(lease.metadata?.annotations ?? {}) },
    labels: { ...(lease.metadata?.labels ?? {}) },
  };
}
