/**
 * OpenAPI v3, enough for kubectl: `/openapi/v3` lists one document per group-version; each
 * document has the resource paths whose PATCH operation declares `fieldValidation` (so kubectl
 * leaves field validation to the server) and the request content types the server accepts
 * (strategic merge patch only for built-ins), plus a component schema per kind (the CRD's
 * openAPIV3Schema for custom resources) tagged with `x-kubernetes-group-version-kind`.
 */
import { createHash } from 'node:crypto';
import type { ResourceRegistry } from './registry.js';
import type { JsonObject, ResourceType } from './types.js';
import { groupVersion } from './types.js';

function reverseGroup(group: string): string {
  return group === '' ? 'io.k8s.api.core' : group.split('.').reverse().join('.');
}

export function schemaName(rt: ResourceType, version: string): string {
  if (!rt.custom) {
    const g = rt.group === '' ? 'core' : (rt.group.split('.')[0] ?? rt.group);
    return rt.group === '' ? `io.k8s.api.core.${version}.${rt.kind}` : `io.k8s.api.${g}.${version}.${rt.kind}`;
  }
  return `${reverseGroup(rt.group)}.${version}.${rt.kind}`;
}

const objectMetaRef = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function queryParam(name: string, description: string): JsonObject {
  return { name, in: 'query', description, schema: { type: 'string', uniqueItems: true } };
}

function kindSchema(rt: ResourceType, version: string): JsonObject {
  const gvk = [{ group: rt.group, version, kind: rt.kind }];
  const raw = rt.schemas?.[version]?.raw;
  const base: JsonObject = raw
    ? structuredClone(raw)
    : {
        type: 'object',
        properties: {
          spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
        'x-kubernetes-preserve-unknown-fields': true,
      };
  const props = (base['properties'] as JsonObject | undefined) ?? {};
  base['properties'] = {
    ...props,
    apiVersion: {
      type: 'string',
      description: 'APIVersion defines the versioned schema of this representation of an object.',
    },
    kind: {
      type: 'string',
      description: 'Kind is a string value representing the REST resource this object represents.',
    },
    metadata: { allOf: [{ $ref: `#/components/schemas/${objectMetaRef}` }], default: {} },
  };
  base['x-kubernetes-group-version-kind'] = gvk;
  return base;
}

function paths(rt: ResourceType, version: string): JsonObject {
  const gv = groupVersion(rt.group, version);
  const prefix = rt.group === '' ? `/api/${version}` : `/apis/${gv}`;
  const collection = rt.namespaced ? `${prefix}/namespaces/{namespace}/${rt.plural}` : `${prefix}/${rt.plural}`;
  const item = `${collection}/{name}`;
  const ref = { $ref: `#/components/schemas/${schemaName(rt, version)}` };
  const gvk = { group: rt.group, version, kind: rt.kind };
  const json = { 'application/json': { schema: ref } };
  const ok = { '200': { description: 'OK', content: json } };
  const common = [
    queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
    queryParam(
      'fieldManager',
      'fieldManager is a name associated with the actor or entity that is making these changes.',
    ),
    queryParam(
      'fieldValidation',
      'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
    ),
  ];
  const patchContent: JsonObject = {
    'application/json-patch+json': {
      schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' },
    },
    'application/merge-patch+json': {
      schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' },
    },
    'application/apply-patch+yaml': {
      schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' },
    },
  };
  const op = (action: string, extra: JsonObject = {}): JsonObject => ({
    operationId: `${action}${rt.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    responses: ok,
    ...extra,
  });
  const out: JsonObject = {
    [collection]: {
      get: op('list'),
      post: op('post', {
        parameters: common,
        requestBody: { content: json, required: true },
        responses: { '201': { description: 'Created', content: json } },
      }),
    },
    [item]: {
      get: op('get'),
      put: op('put', { parameters: common, requestBody: { content: json, required: true } }),
      patch: op('patch', {
        parameters: [...common, queryParam('force', 'Force is going to "force" Apply requests.')],
        requestBody: { content: patchContent, required: true },
      }),
      delete: op('delete'),
    },
  };
  if (rt.statusSubresource) {
    out[`${item}/status`] = {
      get: op('get'),
      put: op('put', { parameters: common, requestBody: { content: json, required: true } }),
      patch: op('patch', {
        parameters: [...common, queryParam('force', 'Force is going to "force" Apply requests.')],
        requestBody: { content: patchContent, required: true },
      }),
    };
  }
  return out;
}

const sharedSchemas: JsonObject = {
  [objectMetaRef]: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      generateName: { type: 'string' },
      namespace: { type: 'string' },
      uid: { type: 'string' },
      resourceVersion: { type: 'string' },
      generation: { type: 'integer', format: 'int64' },
      creationTimestamp: { type: 'string', format: 'date-time' },
      deletionTimestamp: { type: 'string', format: 'date-time' },
      deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
      labels: { type: 'object', additionalProperties: { type: 'string', default: '' } },
      annotations: { type: 'object', additionalProperties: { type: 'string', default: '' } },
      finalizers: { type: 'array', items: { type: 'string', default: '' } },
      ownerReferences: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': {
    type: 'object',
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  },
};

/** Builds and caches OpenAPI v3 documents; rebuilt when the registry changes. */
export class OpenApi {
  private cacheGeneration = -1;
  private docs = new Map<string, { text: string; hash: string }>();

  constructor(private readonly registry: ResourceRegistry) {}

  private refresh(): void {
    if (this.cacheGeneration === this.registry.generation) return;
    const byGv = new Map<string, ResourceType[]>();
    for (const rt of this.registry.all()) {
      for (const v of rt.versions) {
        const key = rt.group === '' ? `api/${v}` : `apis/${rt.group}/${v}`;
        byGv.set(key, [...(byGv.get(key) ?? []), rt]);
      }
    }
    const docs = new Map<string, { text: string; hash: string }>();
    for (const [key, types] of byGv) {
      const version = key.split('/').pop() ?? '';
      const doc = {
        openapi: '3.0.0',
        info: { title: 'Kubernetes', version: 'v1.32.0' },
        paths: Object.assign({}, ...types.map((rt) => paths(rt, version))) as JsonObject,
        components: {
          schemas: {
            ...sharedSchemas,
            ...Object.fromEntries(types.map((rt) => [schemaName(rt, version), kindSchema(rt, version)])),
          },
        },
      };
      const text = JSON.stringify(doc);
      docs.set(key, { text, hash: createHash('sha512').update(text).digest('hex').slice(0, 128).toUpperCase() });
    }
    this.docs = docs;
    this.cacheGeneration = this.registry.generation;
  }

  root(): JsonObject {
    this.refresh();
    const pathsOut: JsonObject = {};
    for (const [key, d] of this.docs) pathsOut[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${d.hash}` };
    return { paths: pathsOut };
  }

  /** The document for `api/v1` or `apis/<group>/<version>`, as JSON text. */
  document(key: string): string | undefined {
    this.refresh();
    return this.docs.get(key)?.text;
  }
}
