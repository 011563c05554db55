/** The generated FlyteWorkflow CRD: no drift, Flyte's names, no status subresource, structural everywhere. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { FLYTE_CRD_FILE, flyteWorkflowCrd, flyteWorkflowCrdYaml } from './crd.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
type Json = Record<string, unknown>;

const ALLOWED = new Set(['type', 'description', 'properties', 'nullable', 'x-kubernetes-preserve-unknown-fields']);

/** Violations of the structural-schema rules (every node typed or preserving; no forbidden keywords; no pruning of Flyte's fields). */
function violations(schema: unknown, path: string, out: string[] = []): string[] {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return [...out, `${path}: not a schema`];
  const s = schema as Json;
  for (const key of Object.keys(s)) if (!ALLOWED.has(key)) out.push(`${path}: keyword ${key}`);
  if (typeof s['type'] !== 'string') out.push(`${path}: no type`);
  if (s['type'] === 'object' && path !== 'root.metadata' && s['x-kubernetes-preserve-unknown-fields'] !== true)
    out.push(`${path}: an object that would prune Flyte's fields`);
  for (const [name, sub] of Object.entries((s['properties'] as Json | undefined) ?? {}))
    violations(sub, `${path}.${name}`, out);
  return out;
}

describe('flyteworkflows.flyte.lyft.com CRD', () => {
  test('the committed file is what the generator produces (run `node --import tsx src/flyte/crd.ts`)', () => {
    assert.equal(readFileSync(`${root}${FLYTE_CRD_FILE}`, 'utf8'), flyteWorkflowCrdYaml());
  });

  test("names, scope and version are Flyte's; no status subresource (FlytePropeller writes the whole object)", () => {
    const crd = parse(flyteWorkflowCrdYaml()) as Json;
    const spec = crd['spec'] as Json;
    assert.equal((crd['metadata'] as Json)['name'], 'flyteworkflows.flyte.lyft.com');
    assert.equal(spec['group'], 'flyte.lyft.com');
    assert.equal(spec['scope'], 'Namespaced');
    assert.deepEqual(spec['names'], {
      kind: 'FlyteWorkflow',
      listKind: 'FlyteWorkflowList',
      plural: 'flyteworkflows',
      singular: 'flyteworkflow',
      shortNames: ['fly'],
    });
    const versions = spec['versions'] as Json[];
    assert.equal(versions.length, 1);
    assert.deepEqual(
      [versions[0]?.['name'], versions[0]?.['served'], versions[0]?.['storage']],
      ['v1alpha1', true, true],
    );
    assert.equal(versions[0]?.['subresources'], undefined);
  });

  test('the schema is structural, preserves unknown fields at the root and in every object, and lets an offloaded closure be null', () => {
    const version = ((flyteWorkflowCrd()['spec'] as Json)['versions'] as Json[])[0];
    const schema = (version?.['schema'] as Json)['openAPIV3Schema'] as Json;
    assert.deepEqual(violations(schema, 'root'), []);
    assert.equal(schema['x-kubernetes-preserve-unknown-fields'], true);
    const props = schema['properties'] as Record<string, Json>;
    assert.equal(props['spec']?.['nullable'], true);
    assert.equal(props['tasks']?.['nullable'], true);
    for (const field of [
      'spec',
      'inputs',
      'executionId',
      'tasks',
      'subWorkflows',
      'node-defaults',
      'securityContext',
      'status',
      'rawOutputDataConfig',
      'executionConfig',
      'workflowMeta',
      'acceptedAt',
      'workflowClosureReference',
      'offloadedInputs',
      'consoleUrl',
    ]) {
      assert.ok(props[field] !== undefined, `top-level field ${field}`);
    }
  });
});
