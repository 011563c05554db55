/** The generated CRD: no drift from the committed file, and structural-schema rules hold everywhere. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Type } from '@sinclair/typebox';
import { CRD_FILE, CrdGenerationError, toStructural, workflowCrd, workflowCrdYaml } from './crd.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

type Json = Record<string, unknown>;
const ALLOWED = new Set([
  'type',
  'description',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'x-kubernetes-preserve-unknown-fields',
]);

/** Every violation of the structural-schema rules we rely on, with its path. */
function structuralViolations(schema: unknown, path: string, out: string[] = []): string[] {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    out.push(`${path}: not a schema object`);
    return out;
  }
  const s = schema as Json;
  for (const key of Object.keys(s)) if (!ALLOWED.has(key)) out.push(`${path}: forbidden keyword ${key}`);
  if (s['additionalProperties'] === false) out.push(`${path}: additionalProperties: false`);
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof s['type'] !== 'string' && !preserve)
    out.push(`${path}: no type and no x-kubernetes-preserve-unknown-fields`);
  if (s['properties'] !== undefined && s['additionalProperties'] !== undefined)
    out.push(`${path}: both properties and additionalProperties`);
  if (s['type'] === 'array' && s['items'] === undefined) out.push(`${path}: array without items`);
  if (Array.isArray(s['enum']))
    for (const v of s['enum'])
      if (typeof v !== (s['type'] === 'integer' ? 'number' : s['type']))
        out.push(`${path}: enum value ${String(v)} is not a ${String(s['type'])}`);
  if (Array.isArray(s['required']))
    for (const r of s['required'])
      if (!(s['properties'] as Json | undefined)?.[r as string])
        out.push(`${path}: required ${String(r)} is not a property`);
  for (const [name, sub] of Object.entries((s['properties'] as Json | undefined) ?? {}))
    structuralViolations(sub, `${path}.${name}`, out);
  if (typeof s['additionalProperties'] === 'object') structuralViolations(s['additionalProperties'], `${path}.*`, out);
  if (s['items'] !== undefined) structuralViolations(s['items'], `${path}[]`, out);
  return out;
}

describe('workflows.flotilla.io CRD', () => {
  test('the committed file is what the generator produces (run `npm run gen:crd` after changing a schema)', () => {
    const committed = readFileSync(`${root}${CRD_FILE}`, 'utf8');
    assert.equal(committed, workflowCrdYaml(), `${CRD_FILE} is stale: run npm run gen:crd`);
  });

  test('names, scope, version, subresource and printer columns', () => {
    const crd = parse(workflowCrdYaml()) as Json;
    const spec = crd['spec'] as Json;
    assert.equal(crd['apiVersion'], 'apiextensions.k8s.io/v1');
    assert.equal((crd['metadata'] as Json)['name'], 'workflows.flotilla.io');
    assert.equal(spec['group'], 'flotilla.io');
    assert.equal(spec['scope'], 'Namespaced');
    assert.deepEqual(spec['names'], {
      kind: 'Workflow',
      listKind: 'WorkflowList',
      plural: 'workflows',
      singular: 'workflow',
      shortNames: ['wf'],
      categories: ['flotilla', 'all'],
    });
    const [version] = spec['versions'] as Json[];
    assert.equal(version?.['name'], 'v1alpha1');
    assert.equal(version?.['served'], true);
    assert.equal(version?.['storage'], true);
    assert.deepEqual(version?.['subresources'], { status: {} });
    const columns = (version?.['additionalPrinterColumns'] as Json[]).map((c) => [c['name'], c['type'], c['jsonPath']]);
    assert.deepEqual(columns, [
      ['Phase', 'string', '.status.phase'],
      ['Progress', 'string', '.status.progress'],
      ['Shard', 'string', '.metadata.labels.flotilla\\.io/shard'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ]);
  });

  test('the schema is structural everywhere', () => {
    const version = ((workflowCrd()['spec'] as Json)['versions'] as Json[])[0];
    const schema = (version?.['schema'] as Json)['openAPIV3Schema'];
    assert.deepEqual(structuralViolations(schema, 'openAPIV3Schema'), []);
  });

  test('the checker itself catches what it should', () => {
    const bad = {
      type: 'object',
      properties: { a: { anyOf: [] }, b: { description: 'x' }, c: { type: 'object', additionalProperties: false } },
    };
    assert.deepEqual(structuralViolations(bad, 's'), [
      's.a: forbidden keyword anyOf',
      's.a: no type and no x-kubernetes-preserve-unknown-fields',
      's.b: no type and no x-kubernetes-preserve-unknown-fields',
      's.c: additionalProperties: false',
    ]);
  });

  test('conversion rules: enum, records, preserved JSON, cut recursion, kept descriptions and bounds', () => {
    const node = Type.Recursive(
      (Self) =>
        Type.Object(
          {
            kind: Type.Union([Type.Literal('a'), Type.Literal('b')]),
            child: Type.Optional(Self),
            n: Type.Integer({ minimum: 1 }),
          },
          { additionalProperties: false },
        ),
      { $id: 'N' },
    );
    const schema = Type.Object({
      m: Type.Record(Type.String(), Type.String({ maxLength: 5 })),
      any: Type.Unknown({ 'x-kubernetes-preserve-unknown-fields': true, description: 'any' }),
      node,
    });
    const s = toStructural(schema, { recursionDepth: { N: 2 } });
    assert.deepEqual(s.properties?.['m'], { type: 'object', additionalProperties: { type: 'string', maxLength: 5 } });
    assert.deepEqual(s.properties?.['any'], { description: 'any', 'x-kubernetes-preserve-unknown-fields': true });
    const n1 = s.properties?.['node'];
    assert.deepEqual(n1?.properties?.['kind'], { type: 'string', enum: ['a', 'b'] });
    assert.deepEqual(n1?.properties?.['n'], { type: 'integer', minimum: 1 });
    assert.equal(n1?.properties?.['child']?.properties?.['child']?.['x-kubernetes-preserve-unknown-fields'], true);
    assert.equal(n1?.properties?.['child']?.properties?.['child']?.type, 'object');
    assert.throws(() => toStructural(Type.Union([Type.String(), Type.Number()])), CrdGenerationError);
  });

  test('the generated schema stays small enough for kubectl apply (256 KiB annotation)', () => {
    assert.ok(JSON.stringify(workflowCrd()).length < 256 * 1024);
  });
});
