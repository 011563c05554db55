/**
 * Dynamic admission: the embedded server calls the webhooks of the stored
 * Mutating/ValidatingWebhookConfigurations on create, update and patch, like the real one.
 *
 * Order of one write: mutating webhooks (configurations by name, webhooks in order, each JSONPatch
 * applied before the next is called) → the write's own defaulting and OpenAPI schema validation
 * (a dry run of the operation) → validating webhooks (in parallel; the first denial by order
 * wins) → the write itself. Matching follows `rules` (operations, apiGroups, apiVersions,
 * resources with `*` and subresources, scope), `namespaceSelector` (the namespace's labels) and
 * `objectSelector` (the new or the old object's labels); `matchPolicy` is ignored (one version
 * per resource here). `failurePolicy` (default Fail): Ignore proceeds on any call error, Fail
 * answers 500 `failed calling webhook "<name>": ...`. A denial answers with the webhook's status
 * code (at least 400) and `admission webhook "<name>" denied the request: <message>`.
 *
 * Fast path: with no configuration stored, or none matching the request, the write runs directly.
 * A patch re-runs from the stored object when a concurrent write changed it (unless the patch
 * carried its own resourceVersion precondition), as the real server's update loop does.
 * DELETE is not admitted.
 */
import { randomUUID } from 'node:crypto';
import { callWebhook, webhookTarget, WebhookCallError, type ServiceResolver } from './admission-call.js';
import { ApiError, internalError, type StatusReason } from './errors.js';
import type { Resources, WriteOptions, WriteResult } from './operations.js';
import { jsonPatch, type PatchType } from './patch.js';
import { matchRequirements, type Requirement } from './selectors.js';
import { resourceKeyOf } from './store.js';
import { groupVersion, isObject, type JsonObject, type KubeObject, type ResourceType } from './types.js';

export type { ServiceResolver } from './admission-call.js';

export const MUTATING_KEY = resourceKeyOf('admissionregistration.k8s.io', 'mutatingwebhookconfigurations');
export const VALIDATING_KEY = resourceKeyOf('admissionregistration.k8s.io', 'validatingwebhookconfigurations');

export type AdmissionOperation = 'CREATE' | 'UPDATE';

/** What one request asks, as webhooks see it. */
export interface AdmissionAttributes {
  operation: AdmissionOperation;
  rt: ResourceType;
  version: string;
  subresource: 'status' | undefined;
  namespace: string | undefined;
  name: string;
  object: KubeObject;
  oldObject: KubeObject | undefined;
  dryRun: boolean;
}

export interface AdmissionOptions {
  /** Maps webhook Service references to addresses (the sandbox has no cluster DNS). */
  resolveService?: ServiceResolver;
  /** `userInfo` sent in each review. @defaultValue `{ username: 'flotilla-admin', groups: ['system:masters', 'system:authenticated'] }` */
  userInfo?: JsonObject;
}

/** A webhook's denial: the real server passes the webhook's status through. */
export class AdmissionDeniedError extends ApiError {
  constructor(
    code: number,
    private readonly statusReason: string,
    message: string,
    private readonly statusDetails: unknown,
  ) {
    const known: StatusReason = code === 403 ? 'Forbidden' : code === 422 ? 'Invalid' : 'BadRequest';
    super(code, known, message);
  }

  override toStatus(): JsonObject {
    const status: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      code: this.status,
    };
    if (this.statusReason !== '') status['reason'] = this.statusReason;
    if (isObject(this.statusDetails)) status['details'] = this.statusDetails;
    return status;
  }
}

interface Webhook {
  name: string;
  raw: JsonObject;
  failurePolicy: 'Ignore' | 'Fail';
  timeoutSeconds: number;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A metav1.LabelSelector as requirements; `undefined` when it can never match (bad operator). */
export function selectorRequirements(selector: unknown): Requirement[] | undefined {
  if (!isObject(selector)) return [];
  const reqs: Requirement[] = [];
  if (isObject(selector['matchLabels'])) {
    for (const [key, value] of Object.entries(selector['matchLabels']))
      reqs.push({ key, op: 'eq', value: String(value) });
  }
  for (const e of Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'] : []) {
    if (!isObject(e) || typeof e['key'] !== 'string') return undefined;
    const key = e['key'];
    const values = strings(e['values']);
    switch (e['operator']) {
      case 'In':
        reqs.push({ key, op: 'in', values });
        break;
      case 'NotIn':
        reqs.push({ key, op: 'notin', values });
        break;
      case 'Exists':
        reqs.push({ key, op: 'exists' });
        break;
      case 'DoesNotExist':
        reqs.push({ key, op: 'notexists' });
        break;
      default:
        return undefined;
    }
  }
  return reqs;
}

function selectorMatches(selector: unknown, labels: Record<string, string> | undefined): boolean {
  const reqs = selectorRequirements(selector);
  return reqs !== undefined && matchRequirements(reqs, labels);
}

/** True when one of `rules` covers the request (operation, group, version, resource[/sub], scope). */
export function rulesMatch(
  rules: unknown,
  a: Pick<AdmissionAttributes, 'operation' | 'rt' | 'version' | 'subresource'>,
): boolean {
  if (!Array.isArray(rules)) return false;
  return rules.some((rule) => {
    if (!isObject(rule)) return false;
    const ops = strings(rule['operations']);
    if (!ops.includes('*') && !ops.includes(a.operation)) return false;
    const groups = strings(rule['apiGroups']);
    if (!groups.includes('*') && !groups.includes(a.rt.group)) return false;
    const versions = strings(rule['apiVersions']);
    if (!versions.includes('*') && !versions.includes(a.version)) return false;
    const scope = typeof rule['scope'] === 'string' ? rule['scope'] : '*';
    if (scope === 'Cluster' && a.rt.namespaced) return false;
    if (scope === 'Namespaced' && !a.rt.namespaced) return false;
    return strings(rule['resources']).some((r) => {
      const [res = '', sub] = r.split('/', 2);
      if (res !== '*' && res !== a.rt.plural) return false;
      if (sub === undefined) return a.subresource === undefined;
      return sub === '*' || sub === a.subresource;
    });
  });
}

function webhooksOf(configs: KubeObject[]): Webhook[] {
  const sorted = [...configs].sort((x, y) => ((x.metadata.name ?? '') < (y.metadata.name ?? '') ? -1 : 1));
  const out: Webhook[] = [];
  for (const config of sorted) {
    for (const raw of Array.isArray(config['webhooks']) ? config['webhooks'] : []) {
      if (!isObject(raw) || typeof raw['name'] !== 'string') continue;
      const timeout = typeof raw['timeoutSeconds'] === 'number' ? raw['timeoutSeconds'] : 10;
      out.push({
        name: raw['name'],
        raw,
        failurePolicy: raw['failurePolicy'] === 'Ignore' ? 'Ignore' : 'Fail',
        timeoutSeconds: Math.min(30, Math.max(1, Math.floor(timeout))),
      });
    }
  }
  return out;
}

function asObject(body: unknown): KubeObject {
  const obj = isObject(body) ? structuredClone(body) : {};
  return { ...obj, metadata: isObject(obj['metadata']) ? obj['metadata'] : {} } as KubeObject;
}

export class Admission {
  constructor(
    private readonly res: Resources,
    private readonly options: AdmissionOptions = {},
  ) {}

  /** True when any webhook configuration is stored (else every write takes the direct path). */
  configured(): boolean {
    return this.res.store.count(MUTATING_KEY) > 0 || this.res.store.count(VALIDATING_KEY) > 0;
  }

  /** The webhooks of one kind that apply to `a`, in call order. */
  matching(kind: 'mutating' | 'validating', a: AdmissionAttributes): Webhook[] {
    const configs = this.res.store.list(kind === 'mutating' ? MUTATING_KEY : VALIDATING_KEY);
    if (configs.length === 0) return [];
    return webhooksOf(configs).filter((w) => this.webhookMatches(w, a));
  }

  private webhookMatches(w: Webhook, a: AdmissionAttributes): boolean {
    if (!rulesMatch(w.raw['rules'], a)) return false;
    if (
      !selectorMatches(w.raw['objectSelector'], a.object.metadata.labels) &&
      !(a.oldObject && selectorMatches(w.raw['objectSelector'], a.oldObject.metadata.labels))
    )
      return false;
    if (a.rt.group === '' && a.rt.plural === 'namespaces')
      return selectorMatches(w.raw['namespaceSelector'], a.object.metadata.labels);
    if (!a.rt.namespaced) return true;
    const ns = this.res.store.get('/namespaces', undefined, a.namespace ?? '');
    return selectorMatches(w.raw['namespaceSelector'], ns?.metadata.labels ?? {});
  }

  async create(
    rt: ResourceType,
    version: string,
    namespace: string | undefined,
    body: unknown,
    opts: WriteOptions = {},
  ): Promise<WriteResult> {
    if (!this.configured()) return this.res.create(rt, version, namespace, body, opts);
    const object = asObject(body);
    object.apiVersion ??= groupVersion(rt.group, version);
    object.kind ??= rt.kind;
    if (
      rt.namespaced &&
      namespace !== undefined &&
      (object.metadata.namespace === undefined || object.metadata.namespace === '')
    )
      object.metadata.namespace = namespace;
    const a: AdmissionAttributes = {
      operation: 'CREATE',
      rt,
      version,
      subresource: undefined,
      namespace,
      name: object.metadata.name ?? '',
      object,
      oldObject: undefined,
      dryRun: opts.dryRun === true,
    };
    if (this.matching('mutating', a).length === 0 && this.matching('validating', a).length === 0)
      return this.res.create(rt, version, namespace, body, opts);
    const mutated = await this.mutate(a);
    // A write takes its body as its object (defaulting and pruning change it): the dry run gets a copy.
    const dry = this.res.create(rt, version, namespace, structuredClone(mutated.object), { ...opts, dryRun: true });
    const generated = dry.object.metadata.name ?? '';
    const validatedWarnings = await this.validate({ ...a, object: dry.object, name: generated });
    const warnings = [...mutated.warnings, ...validatedWarnings];
    if (opts.dryRun) return { ...dry, warnings: [...dry.warnings, ...warnings] };
    // Keep the name the validating webhooks saw when the object asked for a generated one.
    const final: KubeObject = {
      ...mutated.object,
      metadata: { ...mutated.object.metadata, name: mutated.object.metadata.name || generated },
    };
    const result = this.res.create(rt, version, namespace, final, opts);
    return { ...result, warnings: [...result.warnings, ...warnings] };
  }

  async update(
    rt: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
    subresource?: 'status',
  ): Promise<WriteResult> {
    const existing = this.configured()
      ? this.res.store.get(this.res.key(rt), rt.namespaced ? namespace : undefined, name)
      : undefined;
    if (!existing) return this.res.update(rt, version, namespace, name, body, opts, subresource);
    return this.admitUpdate(rt, version, namespace, name, existing, asObject(body), opts, subresource);
  }

  async patch(
    rt: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    type: PatchType | undefined,
    contentType: string,
    raw: string,
    opts: WriteOptions = {},
    subresource?: 'status',
  ): Promise<WriteResult> {
    if (!this.configured())
      return this.res.patch(rt, version, namespace, name, type, contentType, raw, opts, subresource);
    for (let attempt = 0; ; attempt++) {
      const target = this.res.patchTarget(rt, version, namespace, name, type, contentType, raw);
      if (target.kind === 'create') {
        if (subresource !== undefined)
          return this.res.patch(rt, version, namespace, name, type, contentType, raw, opts, subresource);
        return this.create(rt, version, namespace, target.body, opts);
      }
      try {
        return await this.admitUpdate(rt, version, namespace, name, target.existing, target.next, opts, subresource);
      } catch (error) {
        const current = this.res.store.get(this.res.key(rt), rt.namespaced ? namespace : undefined, name);
        const raced =
          current !== undefined && current.metadata.resourceVersion !== target.existing.metadata.resourceVersion;
        if (!(
          error instanceof ApiError &&
          error.reason === 'Conflict' &&
          raced &&
          !target.preconditioned &&
          attempt < 4
        ))
          throw error;
      }
    }
  }

  private async admitUpdate(
    rt: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    existing: KubeObject,
    next: KubeObject,
    opts: WriteOptions,
    subresource: 'status' | undefined,
  ): Promise<WriteResult> {
    next.apiVersion ??= groupVersion(rt.group, version);
    next.kind ??= rt.kind;
    const oldObject = this.res.present(rt, version, existing);
    const a: AdmissionAttributes = {
      operation: 'UPDATE',
      rt,
      version,
      subresource,
      namespace,
      name,
      object: next,
      oldObject,
      dryRun: opts.dryRun === true,
    };
    if (this.matching('mutating', a).length === 0 && this.matching('validating', a).length === 0)
      return this.res.update(rt, version, namespace, name, next, opts, subresource);
    const rv = next.metadata.resourceVersion;
    const mutated = await this.mutate(a);
    // A webhook's patch may not drop the precondition the write had.
    if (rv !== undefined) mutated.object.metadata.resourceVersion = rv;
    const dry = this.res.update(
      rt,
      version,
      namespace,
      name,
      structuredClone(mutated.object),
      { ...opts, dryRun: true },
      subresource,
    );
    const validatedWarnings = await this.validate({ ...a, object: dry.object });
    const warnings = [...mutated.warnings, ...validatedWarnings];
    if (opts.dryRun) return { ...dry, warnings: [...dry.warnings, ...warnings] };
    const result = this.res.update(rt, version, namespace, name, mutated.object, opts, subresource);
    return { ...result, warnings: [...result.warnings, ...warnings] };
  }

  /** Runs the matching mutating webhooks in order; returns the mutated object and their warnings. */
  private async mutate(a: AdmissionAttributes): Promise<{ object: KubeObject; warnings: string[] }> {
    let object = a.object;
    const warnings: string[] = [];
    for (const w of this.matching('mutating', a)) {
      const response = await this.call(w, { ...a, object });
      if (response === undefined) continue;
      warnings.push(...strings(response['warnings']));
      if (response['allowed'] !== true) throw this.denial(w, response);
      if (typeof response['patch'] !== 'string' || response['patch'] === '') continue;
      try {
        if (response['patchType'] !== 'JSONPatch')
          throw new Error(`unsupported patch type ${JSON.stringify(response['patchType'])}`);
        const ops: unknown = JSON.parse(Buffer.from(response['patch'], 'base64').toString('utf8'));
        object = asObject(jsonPatch(object, ops));
      } catch (cause) {
        const message = `failed calling webhook "${w.name}": cannot apply the webhook's patch: ${cause instanceof Error ? cause.message : String(cause)}`;
        if (w.failurePolicy === 'Fail') throw internalError(message, cause);
      }
    }
    return { object, warnings };
  }

  /** Calls the matching validating webhooks in parallel; the first denial (by order) is thrown. */
  private async validate(a: AdmissionAttributes): Promise<string[]> {
    const hooks = this.matching('validating', a);
    const settled = await Promise.allSettled(hooks.map((w) => this.call(w, a)));
    const warnings: string[] = [];
    for (const [i, s] of settled.entries()) {
      const w = hooks[i];
      if (w === undefined) continue;
      if (s.status === 'rejected') throw s.reason;
      if (s.value === undefined) continue;
      warnings.push(...strings(s.value['warnings']));
      if (s.value['allowed'] !== true) throw this.denial(w, s.value);
    }
    return warnings;
  }

  private denial(w: Webhook, response: JsonObject): AdmissionDeniedError {
    const status = isObject(response['status']) ? response['status'] : {};
    const code = typeof status['code'] === 'number' && status['code'] >= 400 ? status['code'] : 400;
    const reason = typeof status['reason'] === 'string' ? status['reason'] : '';
    const deniedBy = `admission webhook "${w.name}" denied the request`;
    const message =
      typeof status['message'] === 'string' && status['message'] !== ''
        ? `${deniedBy}: ${status['message']}`
        : reason !== ''
          ? `${deniedBy}: ${reason}`
          : `${deniedBy} without explanation`;
    return new AdmissionDeniedError(code, reason, message, status['details']);
  }

  /** One webhook call: its response, or undefined when it failed and its policy is Ignore. */
  private async call(w: Webhook, a: AdmissionAttributes): Promise<JsonObject | undefined> {
    const uid = randomUUID();
    try {
      const target = webhookTarget(w.raw['clientConfig'], w.timeoutSeconds, this.options.resolveService);
      const response = await callWebhook({ target, review: this.review(uid, a), timeoutMs: w.timeoutSeconds * 1000 });
      if (response['uid'] !== uid)
        throw new WebhookCallError('BadResponse', `expected response.uid="${uid}", got "${String(response['uid'])}"`);
      return response;
    } catch (cause) {
      if (w.failurePolicy === 'Ignore') return undefined;
      const detail =
        cause instanceof WebhookCallError &&
        (cause.code === 'Unreachable' || cause.code === 'Timeout' || cause.code === 'NoAddress')
          ? `failed to call webhook: ${cause.message}`
          : cause instanceof Error
            ? cause.message
            : String(cause);
      throw internalError(`failed calling webhook "${w.name}": ${detail}`, cause);
    }
  }

  private review(uid: string, a: AdmissionAttributes): JsonObject {
    const kind = { group: a.rt.group, version: a.version, kind: a.rt.kind };
    const resource = { group: a.rt.group, version: a.version, resource: a.rt.plural };
    const request: JsonObject = {
      uid,
      kind,
      resource,
      requestKind: kind,
      requestResource: resource,
      name: a.name,
      operation: a.operation,
      userInfo: this.options.userInfo ?? {
        username: 'flotilla-admin',
        groups: ['system:masters', 'system:authenticated'],
      },
      object: a.object,
      oldObject: a.oldObject ?? null,
      dryRun: a.dryRun,
      options:
        a.operation === 'CREATE'
          ? { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' }
          : { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' },
    };
    if (a.subresource !== undefined) request['subResource'] = a.subresource;
    if (a.namespace !== undefined && a.rt.namespaced) request['namespace'] = a.namespace;
    return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
  }
}
