/** Plain data shapes shared by the API server's modules. */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type JsonObject = Record<string, unknown>;

/** A printer column, as in a CRD's `additionalPrinterColumns`. */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** Validates and prunes one version of a custom resource (see schema-validation.ts). */
export interface ObjectSchema {
  /** Returns field errors (`[{field, message, type}]`); empty when valid. */
  validate(obj: KubeObject): FieldError[];
  /** Removes unknown fields in place and returns their paths. */
  prune(obj: KubeObject): string[];
  /** The openAPIV3Schema as given in the CRD (for /openapi). */
  readonly raw: JsonObject;
}

export interface FieldError {
  field: string;
  message: string;
  /** Status cause type, e.g. FieldValueInvalid, FieldValueRequired, FieldValueNotSupported. */
  type: string;
}

/** A served resource type: built-in or from a CRD. */
export interface ResourceType {
  /** API group; '' for the core group. */
  group: string;
  /** Served versions, storage version first. */
  versions: string[];
  storageVersion: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Has a `/status` subresource. */
  statusSubresource: boolean;
  /** Strategic merge patch is accepted (built-ins only); merge keys by JSON path of a list. */
  strategicMergeKeys?: Record<string, string>;
  /** Per served version: printer columns (CRDs). */
  printerColumns?: Record<string, PrinterColumn[]>;
  /** Per served version: schema (CRDs). */
  schemas?: Record<string, ObjectSchema>;
  /** True for resources defined by a CRD. */
  custom: boolean;
  /** Bumps metadata.generation on spec changes (everything but metadata and status). */
  tracksGeneration: boolean;
}

export function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** `plural` or `plural.group`, the form used in messages and fault filters. */
export function qualifiedResource(rt: { plural: string; group: string }): string {
  return rt.group === '' ? rt.plural : `${rt.plural}.${rt.group}`;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
