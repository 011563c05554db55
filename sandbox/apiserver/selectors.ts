/**
 * Label selectors (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`) and field selectors
 * (`=`, `==`, `!=` on the fields each resource supports), parsed once per request.
 */
import { badRequest } from './errors.js';
import type { KubeObject } from './types.js';
import { isObject } from './types.js';

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type Matcher = (obj: KubeObject) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const keyPattern = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

export function parseLabelSelector(text: string): Requirement[] {
  const reqs: Requirement[] = [];
  for (const part of splitTop(text)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = (m[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      reqs.push({ key: m[1] ?? '', op: m[2] === 'in' ? 'in' : 'notin', values });
    } else if ((m = part.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      reqs.push({ key: m[1] ?? '', op: m[2] === '!=' ? 'neq' : 'eq', value: m[3] ?? '' });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      reqs.push({ key: m[1] ?? '', op: 'notexists' });
    } else if ((m = part.match(/^(\S+)$/))) {
      reqs.push({ key: m[1] ?? '', op: 'exists' });
    } else {
      throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const key = reqs[reqs.length - 1]?.key ?? '';
    if (!keyPattern.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}"`);
  }
  return reqs;
}

export function matchRequirements(reqs: readonly Requirement[], labels: Record<string, string> | undefined): boolean {
  for (const r of reqs) {
    const v = labels?.[r.key];
    switch (r.op) {
      case 'eq':
        if (v !== r.value) return false;
        break;
      case 'neq':
        if (v === r.value) return false;
        break;
      case 'in':
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (v === undefined) return false;
        break;
      case 'notexists':
        if (v !== undefined) return false;
        break;
    }
  }
  return true;
}

export function labelMatcher(text: string | null | undefined): Matcher | undefined {
  if (!text) return undefined;
  const reqs = parseLabelSelector(text);
  if (reqs.length === 0) return undefined;
  return (obj) => matchRequirements(reqs, obj.metadata.labels);
}

/** Reads a dotted path of plain fields, e.g. `involvedObject.name`; '' when absent. */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObject(cur)) return '';
    cur = cur[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : String(cur);
}

const commonFields = ['metadata.name', 'metadata.namespace'];
/** Field selectors each resource supports (besides metadata.name / metadata.namespace). */
const extraFields: Record<string, string[]> = {
  '/pods': [
    'status.phase',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  '/events': [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  '/secrets': ['type'],
  '/namespaces': ['status.phase'],
};

export function fieldMatcher(text: string | null | undefined, resourceKey: string, kind: string): Matcher | undefined {
  if (!text) return undefined;
  const allowed = new Set([...commonFields, ...(extraFields[resourceKey] ?? [])]);
  const reqs: { field: string; neq: boolean; value: string }[] = [];
  for (const part of splitTop(text)) {
    const m = part.match(/^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${part}'; can't understand '${part}'`);
    const field = m[1] ?? '';
    if (!allowed.has(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    reqs.push({ field, neq: m[2] === '!=', value: (m[3] ?? '').trim() });
  }
  void kind;
  if (reqs.length === 0) return undefined;
  return (obj) => {
    for (const r of reqs) {
      const v = r.field === 'source' ? fieldValue(obj, 'source.component') : fieldValue(obj, r.field);
      if (r.neq ? v === r.value : v !== r.value) return false;
    }
    return true;
  };
}

export function both(a: Matcher | undefined, b: Matcher | undefined): Matcher | undefined {
  if (a && b) return (o) => a(o) && b(o);
  return a ?? b;
}
