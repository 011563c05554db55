/**
 * CustomResourceDefinitions: checks a CRD, turns it into a served {@link ResourceType} (versions,
 * scope, names, status subresource, printer columns, compiled schemas) and computes the status
 * the real server reports once names are accepted and the CRD is established.
 */
import type { FieldError, JsonObject, KubeObject, ObjectSchema, PrinterColumn, ResourceType } from './types.js';
import { isObject } from './types.js';
import { compileSchema } from './schema-validation.js';

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Field errors of a CRD (the subset of the real validation that catches common mistakes). */
export function validateCrd(crd: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = isObject(crd['spec']) ? crd['spec'] : undefined;
  if (!spec) return [{ field: 'spec', message: 'Required value', type: 'FieldValueRequired' }];
  const group = str(spec['group']);
  const names = isObject(spec['names']) ? spec['names'] : {};
  const plural = str(names['plural']);
  if (!group) errors.push({ field: 'spec.group', message: 'Required value', type: 'FieldValueRequired' });
  else if (!group.includes('.'))
    errors.push({
      field: 'spec.group',
      message: `Invalid value: "${group}": should be a domain with at least one dot`,
      type: 'FieldValueInvalid',
    });
  if (!plural) errors.push({ field: 'spec.names.plural', message: 'Required value', type: 'FieldValueRequired' });
  else if (!dns1123Label.test(plural))
    errors.push({
      field: 'spec.names.plural',
      message: `Invalid value: "${plural}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
      type: 'FieldValueInvalid',
    });
  if (!str(names['kind']))
    errors.push({ field: 'spec.names.kind', message: 'Required value', type: 'FieldValueRequired' });
  if (group && plural && crd.metadata.name !== `${plural}.${group}`) {
    errors.push({
      field: 'metadata.name',
      message: `Invalid value: "${crd.metadata.name ?? ''}": must be spec.names.plural+"."+spec.group`,
      type: 'FieldValueInvalid',
    });
  }
  const scope = str(spec['scope']);
  if (scope !== 'Namespaced' && scope !== 'Cluster')
    errors.push({
      field: 'spec.scope',
      message: `Unsupported value: "${scope ?? ''}": supported values: "Cluster", "Namespaced"`,
      type: 'FieldValueNotSupported',
    });
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : [];
  if (versions.length === 0)
    errors.push({
      field: 'spec.versions',
      message: 'Invalid value: null: must have exactly one version marked as storage version',
      type: 'FieldValueInvalid',
    });
  else if (versions.filter((v) => v['storage'] === true).length !== 1) {
    errors.push({
      field: 'spec.versions',
      message: 'Invalid value: must have exactly one version marked as storage version',
      type: 'FieldValueInvalid',
    });
  }
  versions.forEach((v, i) => {
    if (!str(v['name']))
      errors.push({ field: `spec.versions[${i}].name`, message: 'Required value', type: 'FieldValueRequired' });
    const schema = isObject(v['schema']) ? v['schema']['openAPIV3Schema'] : undefined;
    if (!isObject(schema))
      errors.push({
        field: `spec.versions[${i}].schema.openAPIV3Schema`,
        message: 'Required value: schemas are required',
        type: 'FieldValueRequired',
      });
    else if (schema['type'] !== 'object')
      errors.push({
        field: `spec.versions[${i}].schema.openAPIV3Schema.type`,
        message: 'Required value: must not be empty at the root',
        type: 'FieldValueRequired',
      });
    else {
      try {
        compileSchema(schema);
      } catch (e) {
        errors.push({
          field: `spec.versions[${i}].schema.openAPIV3Schema`,
          message: `Invalid value: ${e instanceof Error ? e.message : String(e)}`,
          type: 'FieldValueInvalid',
        });
      }
    }
  });
  return errors;
}

/** The served resource type of a (valid) CRD. */
export function resourceTypeFromCrd(crd: KubeObject): ResourceType {
  const spec = crd['spec'] as JsonObject;
  const names = spec['names'] as JsonObject;
  const versions = (spec['versions'] as unknown[]).filter(isObject);
  const served = versions.filter((v) => v['served'] !== false);
  const storage = versions.find((v) => v['storage'] === true) ?? versions[0] ?? {};
  const printerColumns: Record<string, PrinterColumn[]> = {};
  const schemas: Record<string, ObjectSchema> = {};
  let status = false;
  for (const v of versions) {
    const name = String(v['name']);
    const cols = Array.isArray(v['additionalPrinterColumns']) ? v['additionalPrinterColumns'].filter(isObject) : [];
    printerColumns[name] = cols.map((c) => ({
      name: String(c['name']),
      type: String(c['type'] ?? 'string'),
      jsonPath: String(c['jsonPath'] ?? ''),
      ...(c['format'] !== undefined ? { format: String(c['format']) } : {}),
      ...(c['description'] !== undefined ? { description: String(c['description']) } : {}),
      ...(c['priority'] !== undefined ? { priority: Number(c['priority']) } : {}),
    }));
    const schema = isObject(v['schema']) ? v['schema']['openAPIV3Schema'] : undefined;
    if (isObject(schema)) schemas[name] = compileSchema(schema);
    if (isObject(v['subresources']) && v['subresources']['status'] !== undefined) status = true;
  }
  const storageName = String(storage['name']);
  const servedNames = served.map((v) => String(v['name']));
  return {
    group: String(spec['group']),
    versions: [storageName, ...servedNames.filter((n) => n !== storageName)].filter((n) => servedNames.includes(n)),
    storageVersion: storageName,
    plural: String(names['plural']),
    singular: str(names['singular']) ?? String(names['kind']).toLowerCase(),
    kind: String(names['kind']),
    listKind: str(names['listKind']) ?? `${String(names['kind'])}List`,
    namespaced: spec['scope'] === 'Namespaced',
    shortNames: strings(names['shortNames']),
    categories: strings(names['categories']),
    statusSubresource: status,
    printerColumns,
    schemas,
    custom: true,
    tracksGeneration: true,
  };
}

/** The CRD with the status the real server sets: NamesAccepted and Established, acceptedNames. */
export function establishedStatus(crd: KubeObject, now: string): JsonObject {
  const spec = crd['spec'] as JsonObject;
  const names = { ...(spec['names'] as JsonObject) };
  if (names['singular'] === undefined) names['singular'] = String(names['kind']).toLowerCase();
  if (names['listKind'] === undefined) names['listKind'] = `${String(names['kind'])}List`;
  const previous =
    isObject(crd['status']) && Array.isArray(crd['status']['conditions'])
      ? crd['status']['conditions'].filter(isObject)
      : [];
  const since = (type: string): string => {
    const p = previous.find((c) => c['type'] === type && c['status'] === 'True');
    return typeof p?.['lastTransitionTime'] === 'string' ? p['lastTransitionTime'] : now;
  };
  const versions = (spec['versions'] as unknown[]).filter(isObject);
  const storage = versions.find((v) => v['storage'] === true);
  const previousStored = isObject(crd['status']) ? strings(crd['status']['storedVersions']) : [];
  const stored = [...previousStored];
  if (storage && !stored.includes(String(storage['name']))) stored.push(String(storage['name']));
  return {
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        reason: 'NoConflicts',
        message: 'no conflicts found',
        lastTransitionTime: since('NamesAccepted'),
      },
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
        lastTransitionTime: since('Established'),
      },
    ],
    acceptedNames: names,
    storedVersions: stored,
  };
}
