/**
 * The REST semantics of every resource, independent of HTTP: get, list, create, update (main
 * resource and `/status`), patch (merge, JSON, strategic, apply). Deletion, finalizers and garbage
 * collection live in gc.ts; CRD activation in crd.ts.
 */
import { ApiError, alreadyExists, badRequest, conflict, invalid, notFound, unsupportedMediaType } from './errors.js';
import type { FaultInjector } from './faults.js';
import { establishedStatus, resourceTypeFromCrd, validateCrd } from './crd.js';
import {
  generateName,
  newUid,
  nowTime,
  sameContent,
  sameSpec,
  validateBuiltin,
  validateMetadata,
} from './object-meta.js';
import { decodeObjectMeta, validateName } from './meta-validation.js';
import { applyMerge, jsonPatch, mergePatch, parseApplyBody, strategicMergePatch, type PatchType } from './patch.js';
import { metadataMergeKeys } from './builtins.js';
import { decodePod, defaultPodResources, validatePod } from './pods.js';
import { admitCreate, decodeQuota, POD_KEY, QUOTA_KEY, quotaStatus, refreshQuotas } from './quota.js';
import type { ResourceRegistry } from './registry.js';
import { resourceKeyOf, type Store } from './store.js';
import type { FieldError, JsonObject, KubeObject, ResourceType } from './types.js';
import { groupVersion, isObject, qualifiedResource } from './types.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  /** `dryRun=All`: validate, answer, store nothing. */
  dryRun?: boolean;
  /** @defaultValue 'Warn' */
  fieldValidation?: FieldValidation;
  fieldManager?: string;
}

export interface WriteResult {
  object: KubeObject;
  /** Warning header values (unknown fields under fieldValidation=Warn). */
  warnings: string[];
  /** True when the write created the object (201). */
  created: boolean;
}

/** What a patch would do: create (apply on a missing object) or replace `existing` with `next`. */
export type PatchTarget =
  | { kind: 'create'; body: JsonObject }
  | { kind: 'update'; existing: KubeObject; next: KubeObject; preconditioned: boolean };

export const CRD_KEY = resourceKeyOf('apiextensions.k8s.io', 'customresourcedefinitions');
export const NAMESPACE_KEY = resourceKeyOf('', 'namespaces');

export class Resources {
  constructor(
    readonly store: Store,
    readonly registry: ResourceRegistry,
    readonly faults: FaultInjector,
  ) {}

  key(rt: ResourceType): string {
    return resourceKeyOf(rt.group, rt.plural);
  }

  /** The object as served in `version` (no conversion beyond apiVersion: strategy None). */
  present(rt: ResourceType, version: string, obj: KubeObject): KubeObject {
    const apiVersion = groupVersion(rt.group, version);
    return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
  }

  target(rt: ResourceType, name: string): { resource: string; group: string; name: string } {
    return { resource: rt.plural, group: rt.group, name };
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(this.key(rt), rt.namespaced ? namespace : undefined, name);
    if (!obj) throw notFound(this.target(rt, name));
    return obj;
  }

  /** Namespaced writes need a live namespace. */
  private checkNamespace(rt: ResourceType, namespace: string | undefined, creating: boolean): void {
    if (!rt.namespaced) return;
    if (!namespace) throw badRequest('the server could not find the requested resource');
    const ns = this.store.get(NAMESPACE_KEY, undefined, namespace);
    if (!ns) throw notFound({ resource: 'namespaces', group: '', name: namespace });
    if (creating && ns.metadata.deletionTimestamp !== undefined) {
      throw new ApiError(
        403,
        'Forbidden',
        `${rt.plural} "${''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        { group: rt.group, kind: rt.plural },
      );
    }
  }

  private checkTypeMeta(rt: ResourceType, version: string, body: JsonObject): void {
    const expected = groupVersion(rt.group, version);
    if (body['apiVersion'] !== undefined && body['apiVersion'] !== expected) {
      throw badRequest(
        `the API version in the data (${String(body['apiVersion'])}) does not match the expected API version (${expected})`,
      );
    }
    if (body['kind'] !== undefined && body['kind'] !== rt.kind) {
      throw badRequest(`the kind in the data (${String(body['kind'])}) does not match the expected kind (${rt.kind})`);
    }
  }

  private toObject(rt: ResourceType, version: string, body: unknown): KubeObject {
    if (!isObject(body)) throw badRequest('the body of the request was not a JSON object');
    decodeObjectMeta(rt, version, body);
    const metadata = isObject(body['metadata']) ? { ...body['metadata'] } : {};
    return { ...body, metadata } as KubeObject;
  }

  /**
   * Validation, pruning, defaulting and field-validation for a write. Returns warnings; throws
   * 422 (invalid) or 400 (strict unknown fields).
   */
  private admit(rt: ResourceType, version: string, obj: KubeObject, opts: WriteOptions): string[] {
    const errors: FieldError[] = [...validateMetadata(obj)];
    const warnings: string[] = [];
    if (rt.custom) {
      const schema = rt.schemas?.[version] ?? rt.schemas?.[rt.storageVersion];
      if (schema) {
        const pruned = schema.prune(obj);
        const mode = opts.fieldValidation ?? 'Warn';
        if (pruned.length > 0 && mode === 'Strict') {
          throw badRequest(`strict decoding error: ${pruned.map((p) => `unknown field "${p}"`).join(', ')}`);
        }
        if (pruned.length > 0 && mode === 'Warn') for (const p of pruned) warnings.push(`unknown field "${p}"`);
        errors.push(...schema.validate(obj));
      }
    } else {
      // Pods and quotas are decoded first: a quantity that does not parse is a 400, as for real.
      if (this.key(rt) === POD_KEY) decodePod(obj);
      if (this.key(rt) === QUOTA_KEY) decodeQuota(obj);
      errors.push(...validateBuiltin(rt, obj));
      if (this.key(rt) === POD_KEY) errors.push(...validatePod(obj));
      if (this.key(rt) === CRD_KEY) errors.push(...validateCrd(obj));
    }
    if (errors.length > 0) throw invalid({ kind: rt.kind, group: rt.group, name: obj.metadata.name ?? '' }, errors);
    return warnings;
  }

  /**
   * A create. It takes `body` as its object (defaulting and pruning change it in place, the store
   * may keep it): callers hand over a value nothing else holds, as a freshly decoded request is.
   */
  create(
    rt: ResourceType,
    version: string,
    namespace: string | undefined,
    body: unknown,
    opts: WriteOptions = {},
  ): WriteResult {
    const obj = this.toObject(rt, version, body);
    this.checkTypeMeta(rt, version, obj);
    if (rt.namespaced) {
      if (
        obj.metadata.namespace !== undefined &&
        obj.metadata.namespace !== '' &&
        obj.metadata.namespace !== namespace
      ) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace;
    } else delete obj.metadata.namespace;
    if (!obj.metadata.name) {
      if (obj.metadata.generateName) obj.metadata.name = generateName(obj.metadata.generateName);
      else
        throw invalid({ kind: rt.kind, group: rt.group, name: '' }, [
          {
            field: 'metadata.name',
            message: 'Required value: name or generateName is required',
            type: 'FieldValueRequired',
          },
        ]);
    }
    const name = obj.metadata.name;
    const nameErrors = validateName(rt, name);
    if (nameErrors.length > 0) throw invalid({ kind: rt.kind, group: rt.group, name }, nameErrors);
    this.checkNamespace(rt, namespace, true);
    if (this.store.get(this.key(rt), obj.metadata.namespace, name)) throw alreadyExists(this.target(rt, name));
    obj.apiVersion = groupVersion(rt.group, rt.storageVersion);
    obj.kind = rt.kind;
    obj.metadata.uid = newUid();
    obj.metadata.creationTimestamp = nowTime();
    delete obj.metadata.deletionTimestamp;
    delete obj.metadata.deletionGracePeriodSeconds;
    delete obj.metadata.resourceVersion;
    delete obj.metadata.managedFields;
    if (rt.tracksGeneration) obj.metadata.generation = 1;
    else delete obj.metadata.generation;
    this.prepareCreate(rt, obj);
    const warnings = this.admit(rt, version, obj, opts);
    // ResourceQuota admission runs after validation, dry runs included (they are not charged).
    if (rt.namespaced) admitCreate(this.store, rt.group, rt.plural, obj);
    if (opts.dryRun) return { object: this.present(rt, version, obj), warnings, created: true };
    let stored = this.store.put(this.key(rt), obj);
    stored = this.afterWrite(rt, stored);
    return { object: this.present(rt, version, stored), warnings, created: true };
  }

  private prepareCreate(rt: ResourceType, obj: KubeObject): void {
    if (rt.custom && rt.statusSubresource) delete obj['status'];
    switch (this.key(rt)) {
      case '/pods': {
        obj['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
        const spec = isObject(obj['spec']) ? obj['spec'] : {};
        if (spec['restartPolicy'] === undefined) spec['restartPolicy'] = 'Always';
        if (spec['terminationGracePeriodSeconds'] === undefined) spec['terminationGracePeriodSeconds'] = 30;
        if (spec['dnsPolicy'] === undefined) spec['dnsPolicy'] = 'ClusterFirst';
        if (spec['schedulerName'] === undefined) spec['schedulerName'] = 'default-scheduler';
        obj['spec'] = spec;
        defaultPodResources(obj);
        break;
      }
      case NAMESPACE_KEY:
        obj['spec'] = { finalizers: ['kubernetes'] };
        obj['status'] = { phase: 'Active' };
        obj.metadata.labels = {
          ...(obj.metadata.labels ?? {}),
          'kubernetes.io/metadata.name': obj.metadata.name ?? '',
        };
        break;
      case CRD_KEY:
        delete obj['status'];
        break;
      case '/secrets':
        if (obj['type'] === undefined || obj['type'] === '') obj['type'] = 'Opaque';
        break;
      default:
        break;
    }
  }

  /** Side effects of a stored write: CRDs become established and served; quotas show their usage. */
  private afterWrite(rt: ResourceType, stored: KubeObject): KubeObject {
    if (rt.namespaced && this.key(rt) !== QUOTA_KEY) refreshQuotas(this.store, stored.metadata.namespace ?? '');
    if (this.key(rt) === QUOTA_KEY) {
      const status = quotaStatus(this.store, stored);
      return JSON.stringify(status) === JSON.stringify(stored['status'])
        ? stored
        : this.store.put(QUOTA_KEY, { ...stored, metadata: { ...stored.metadata }, status });
    }
    if (this.key(rt) !== CRD_KEY || stored.metadata.deletionTimestamp !== undefined) return stored;
    const served = resourceTypeFromCrd(stored);
    const status = establishedStatus(stored, nowTime());
    this.registry.add(served);
    if (JSON.stringify(status) === JSON.stringify(stored['status'])) return stored;
    return this.store.put(CRD_KEY, { ...stored, metadata: { ...stored.metadata }, status });
  }

  /**
   * PUT semantics (also the last step of every patch): resourceVersion precondition, immutable
   * metadata carried over, status split by subresource, generation, finalizer-driven removal.
   * Takes `body` as `create` does.
   */
  update(
    rt: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
    subresource?: 'status',
  ): WriteResult {
    const incoming = this.toObject(rt, version, body);
    this.checkTypeMeta(rt, version, incoming);
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (rt.namespaced && incoming.metadata.namespace && incoming.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const existing = this.store.get(this.key(rt), rt.namespaced ? namespace : undefined, name);
    if (!existing) {
      if (this.key(rt) === '/events' && subresource === undefined)
        return this.create(rt, version, namespace, body, opts);
      throw notFound(this.target(rt, name));
    }
    return this.replace(rt, version, existing, incoming, opts, subresource);
  }

  private replace(
    rt: ResourceType,
    version: string,
    existing: KubeObject,
    incoming: KubeObject,
    opts: WriteOptions,
    subresource?: 'status',
  ): WriteResult {
    const name = existing.metadata.name ?? '';
    const rv = incoming.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== existing.metadata.resourceVersion)
      throw conflict(this.target(rt, name));
    if (this.faults.takeConflict(rt.plural, rt.group, existing.metadata.namespace ?? '', name))
      throw conflict(this.target(rt, name));
    let next: KubeObject;
    if (subresource === 'status') {
      // The stored status is replaced: copy the rest only (the stored object is never changed in place).
      const { status: _replaced, ...kept } = existing;
      next = { ...structuredClone(kept), status: incoming['status'] };
      if (incoming['status'] === undefined) delete next['status'];
    } else {
      next = { ...incoming, metadata: { ...incoming.metadata } };
      if (rt.statusSubresource) {
        if (existing['status'] === undefined) delete next['status'];
        else next['status'] = structuredClone(existing['status']);
      }
      if (this.key(rt) === NAMESPACE_KEY) next['status'] = structuredClone(existing['status']);
    }
    const meta = next.metadata;
    meta.name = existing.metadata.name;
    if (rt.namespaced) meta.namespace = existing.metadata.namespace;
    else delete meta.namespace;
    meta.uid = existing.metadata.uid;
    meta.creationTimestamp = existing.metadata.creationTimestamp;
    if (existing.metadata.deletionTimestamp !== undefined) {
      meta.deletionTimestamp = existing.metadata.deletionTimestamp;
      meta.deletionGracePeriodSeconds = existing.metadata.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    delete meta.managedFields;
    if (meta.generateName === undefined && existing.metadata.generateName !== undefined)
      meta.generateName = existing.metadata.generateName;
    next.apiVersion = groupVersion(rt.group, rt.storageVersion);
    next.kind = rt.kind;
    if (rt.tracksGeneration) {
      const gen = existing.metadata.generation ?? 1;
      meta.generation = sameSpec(rt, this.present(rt, rt.storageVersion, next), existing) ? gen : gen + 1;
    } else if (existing.metadata.generation !== undefined) meta.generation = existing.metadata.generation;
    else delete meta.generation;
    if (existing.metadata.deletionTimestamp !== undefined) {
      const added = (meta.finalizers ?? []).filter((f) => !(existing.metadata.finalizers ?? []).includes(f));
      if (added.length > 0) {
        throw invalid({ kind: rt.kind, group: rt.group, name }, [
          {
            field: 'metadata.finalizers',
            message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => `"${f}"`).join(', ')}}`,
            type: 'FieldValueForbidden',
          },
        ]);
      }
    }
    if (meta.finalizers !== undefined && meta.finalizers.length === 0) delete meta.finalizers;
    const warnings = this.admit(rt, version, next, opts);
    if (sameContent(next, existing)) return { object: this.present(rt, version, existing), warnings, created: false };
    if (opts.dryRun)
      return {
        object: this.present(rt, version, {
          ...next,
          metadata: { ...meta, resourceVersion: existing.metadata.resourceVersion },
        }),
        warnings,
        created: false,
      };
    if (meta.deletionTimestamp !== undefined && (meta.finalizers ?? []).length === 0 && this.readyToRemove(rt, next)) {
      const removed = this.onFinalized(rt, next);
      return { object: this.present(rt, version, removed), warnings, created: false };
    }
    const stored = this.afterWrite(rt, this.store.put(this.key(rt), next));
    return { object: this.present(rt, version, stored), warnings, created: false };
  }

  /** A pod in graceful deletion stays until its grace period is cut to 0 (by the kubelet). */
  private readyToRemove(rt: ResourceType, obj: KubeObject): boolean {
    if (this.key(rt) !== '/pods') return true;
    return (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
  }

  /** Set by gc.ts: removes an object whose last finalizer went away. */
  onFinalized: (rt: ResourceType, obj: KubeObject) => KubeObject = (_rt, obj) => obj;

  patch(
    rt: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    type: PatchType | undefined,
    contentType: string,
    raw: string,
    opts: WriteOptions = {},
    subresource?: 'status',
  ): WriteResult {
    const target = this.patchTarget(rt, version, namespace, name, type, contentType, raw);
    if (target.kind === 'create') {
      if (subresource !== undefined) throw notFound(this.target(rt, name));
      return this.create(rt, version, namespace, target.body, opts);
    }
    return this.replace(rt, version, target.existing, target.next, opts, subresource);
  }

  /**
   * The object a patch would write, before validation (admission.ts sends it to mutating
   * webhooks): `create` for an apply patch on a missing object, else the stored object and the
   * patched one, whose resourceVersion is the patch's own precondition or the stored one.
   */
  patchTarget(
    rt: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    type: PatchType | undefined,
    contentType: string,
    raw: string,
  ): PatchTarget {
    if (type === undefined) throw unsupportedMediaType(contentType);
    if (type === 'strategic' && rt.custom) throw unsupportedMediaType(contentType);
    let patchBody: unknown;
    if (type === 'apply') patchBody = parseApplyBody(raw);
    else {
      try {
        patchBody = JSON.parse(raw);
      } catch (cause) {
        throw new ApiError(
          400,
          'BadRequest',
          `error decoding patch: ${cause instanceof Error ? cause.message : String(cause)}`,
          undefined,
          { cause },
        );
      }
    }
    const existing = this.store.get(this.key(rt), rt.namespaced ? namespace : undefined, name);
    if (!existing) {
      if (type === 'apply') {
        const body = patchBody as JsonObject;
        const meta = isObject(body['metadata']) ? body['metadata'] : {};
        if (meta['name'] !== undefined && meta['name'] !== name)
          throw badRequest(
            `the name of the object (${String(meta['name'])}) does not match the name on the URL (${name})`,
          );
        return { kind: 'create', body: { ...body, metadata: { ...meta, name } } };
      }
      throw notFound(this.target(rt, name));
    }
    const current = this.present(rt, version, existing);
    let patched: unknown;
    switch (type) {
      case 'merge':
        if (!isObject(patchBody))
          throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
        patched = mergePatch(current, patchBody);
        break;
      case 'json':
        patched = jsonPatch(current, patchBody);
        break;
      case 'strategic':
        if (!isObject(patchBody))
          throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
        patched = strategicMergePatch(current, patchBody, { ...metadataMergeKeys, ...(rt.strategicMergeKeys ?? {}) });
        break;
      case 'apply':
        patched = rt.custom
          ? applyMerge(current, patchBody)
          : strategicMergePatch(current, patchBody, { ...metadataMergeKeys, ...(rt.strategicMergeKeys ?? {}) });
        break;
    }
    const next = this.toObject(rt, version, patched);
    // A patch carries a precondition only when it names a resourceVersion itself.
    const rvInPatch =
      type === 'json'
        ? next.metadata.resourceVersion
        : isObject(patchBody) && isObject(patchBody['metadata'])
          ? patchBody['metadata']['resourceVersion']
          : undefined;
    const preconditioned = rvInPatch !== undefined && rvInPatch !== null;
    if (!preconditioned) next.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (next.metadata.name !== name)
      throw badRequest(
        `the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`,
      );
    return { kind: 'update', existing, next, preconditioned };
  }

  /** A qualified name for messages (`pods`, `workflows.flotilla.io`). */
  qualified(rt: ResourceType): string {
    return qualifiedResource(rt);
  }
}
