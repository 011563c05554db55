/**
 * ObjectMeta as the real kube-apiserver decodes and validates it.
 *
 * Decoding (400 BadRequest): `metadata` is decoded into the Go struct `ObjectMeta`, so a field of
 * the wrong JSON type fails the whole request with `<Kind> in version "<v>" cannot be handled as a
 * <Kind>: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string`.
 *
 * Validation (422 Invalid, k8s.io/apimachinery/pkg/util/validation): the name rule of each kind
 * (`NameIsDNSSubdomain` for most, `ValidateNamespaceName` = DNS-1123 label, `ValidateServiceName` =
 * DNS-1035 label, RBAC = path segment), label keys (qualified names), label values, annotation keys.
 */
import { ApiError } from './errors.js';
import type { FieldError, KubeObject, ResourceType } from './types.js';
import { isObject } from './types.js';

const dns1123LabelRe = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainRe = `${dns1123LabelRe}(\\.${dns1123LabelRe})*`;
const dns1035LabelRe = '[a-z]([-a-z0-9]*[a-z0-9])?';
const qualifiedNameRe = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueRe = `(${qualifiedNameRe})?`;
const full = (re: string): RegExp => new RegExp(`^${re}$`);

const maxLen = (n: number): string => `must be no more than ${n} characters`;

/** `IsDNS1123Label`. */
export function dns1123Label(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push(maxLen(63));
  if (!full(dns1123LabelRe).test(value))
    out.push(
      `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${dns1123LabelRe}')`,
    );
  return out;
}

/** `IsDNS1123Subdomain`. */
export function dns1123Subdomain(value: string): string[] {
  const out: string[] = [];
  if (value.length > 253) out.push(maxLen(253));
  if (!full(dns1123SubdomainRe).test(value))
    out.push(
      `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${dns1123SubdomainRe}')`,
    );
  return out;
}

/** `IsDNS1035Label`. */
export function dns1035Label(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push(maxLen(63));
  if (!full(dns1035LabelRe).test(value))
    out.push(
      `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '${dns1035LabelRe}')`,
    );
  return out;
}

/** `IsValidPathSegmentName` (RBAC names: `system:controller:x` is fine). */
export function pathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  return ['/', '%'].filter((c) => value.includes(c)).map((c) => `may not contain '${c}'`);
}

/** `IsQualifiedName`: label and annotation keys. */
export function qualifiedName(value: string): string[] {
  const parts = value.split('/');
  let name = value;
  const out: string[] = [];
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else out.push(...dns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else if (parts.length > 2) {
    return [
      `a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${qualifiedNameRe}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push(`name part ${maxLen(63)}`);
  if (name.length > 0 && !full(qualifiedNameRe).test(name))
    out.push(
      `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${qualifiedNameRe}')`,
    );
  return out;
}

/** `IsValidLabelValue`. */
export function labelValue(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push(maxLen(63));
  if (!full(labelValueRe).test(value))
    out.push(
      `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '${labelValueRe}')`,
    );
  return out;
}

/** The name rule of a kind, as its registry strategy validates it. */
export function nameRule(rt: ResourceType): (name: string) => string[] {
  if (rt.custom) return dns1123Subdomain;
  switch (`${rt.group}/${rt.plural}`) {
    case '/namespaces':
      return dns1123Label;
    case '/services':
      return dns1035Label;
    case 'rbac.authorization.k8s.io/roles':
    case 'rbac.authorization.k8s.io/rolebindings':
    case 'rbac.authorization.k8s.io/clusterroles':
    case 'rbac.authorization.k8s.io/clusterrolebindings':
      return pathSegmentName;
    default:
      return dns1123Subdomain;
  }
}

const invalidValue = (field: string, value: string, message: string): FieldError => ({
  field,
  message: `Invalid value: ${JSON.stringify(value)}: ${message}`,
  type: 'FieldValueInvalid',
});

/** `metadata.name` against its kind's rule. */
export function validateName(rt: ResourceType, name: string): FieldError[] {
  return nameRule(rt)(name).map((m) => invalidValue('metadata.name', name, m));
}

const maxAnnotationsBytes = 256 * 1024;

/** Labels and annotations (after decoding, so every key and value is a string). */
export function validateLabelsAndAnnotations(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    for (const m of qualifiedName(k)) errors.push(invalidValue('metadata.labels', k, m));
    for (const m of labelValue(String(v))) errors.push(invalidValue('metadata.labels', String(v), m));
  }
  let bytes = 0;
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
    for (const m of qualifiedName(k.toLowerCase())) errors.push(invalidValue('metadata.annotations', k, m));
    bytes += k.length + String(v).length;
  }
  if (bytes > maxAnnotationsBytes)
    errors.push({
      field: 'metadata.annotations',
      message: `Too long: must have at most ${maxAnnotationsBytes} bytes`,
      type: 'FieldValueTooLong',
    });
  return errors;
}

type GoType = 'string' | 'map[string]string' | '[]string';

/** The JSON type word of Go's `UnmarshalTypeError`. */
function jsonWord(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'object';
}

/** The ObjectMeta fields checked on decode, with their Go types. */
const META_FIELDS: Readonly<Record<string, GoType>> = {
  name: 'string',
  generateName: 'string',
  namespace: 'string',
  uid: 'string',
  resourceVersion: 'string',
  labels: 'map[string]string',
  annotations: 'map[string]string',
  finalizers: '[]string',
};

/** Read on every write: the entries once, not an array per call. */
const META_FIELD_ENTRIES = Object.entries(META_FIELDS);

/** The first type mismatch in `metadata`, as Go's JSON decoder words it; undefined when it decodes. */
function metaTypeError(metadata: Record<string, unknown>): string | undefined {
  const fail = (field: string, value: unknown, type: string): string =>
    `json: cannot unmarshal ${jsonWord(value)} into Go struct field ObjectMeta.metadata.${field} of type ${type}`;
  for (const [field, type] of META_FIELD_ENTRIES) {
    const v = metadata[field];
    if (v === undefined || v === null) continue;
    if (type === 'string') {
      if (typeof v !== 'string') return fail(field, v, 'string');
    } else if (type === 'map[string]string') {
      if (!isObject(v)) return fail(field, v, type);
      for (const item of Object.values(v))
        if (item !== null && typeof item !== 'string') return fail(field, item, 'string');
    } else {
      if (!Array.isArray(v)) return fail(field, v, type);
      for (const item of v as unknown[])
        if (item !== null && typeof item !== 'string') return fail(field, item, 'string');
    }
  }
  return undefined;
}

/**
 * Decodes `metadata` as the real server does: a value of the wrong JSON type is a 400 BadRequest
 * (`json: cannot unmarshal …`), `metadata` itself must be an object. Null label or annotation
 * values decode to "" (Go leaves the string empty).
 */
export function decodeObjectMeta(rt: ResourceType, version: string, body: Record<string, unknown>): void {
  const metadata = body['metadata'];
  const prefix = `${rt.kind} in version "${version}" cannot be handled as a ${rt.kind}: `;
  if (metadata === undefined || metadata === null) return;
  if (!isObject(metadata))
    throw new ApiError(
      400,
      'BadRequest',
      `${prefix}json: cannot unmarshal ${jsonWord(metadata)} into Go struct field ${rt.kind}.metadata of type v1.ObjectMeta`,
    );
  const error = metaTypeError(metadata);
  if (error !== undefined) throw new ApiError(400, 'BadRequest', `${prefix}${error}`);
  for (const field of ['labels', 'annotations']) {
    const map = metadata[field];
    if (isObject(map)) for (const [k, v] of Object.entries(map)) if (v === null) map[k] = '';
  }
}
