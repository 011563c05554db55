/**
 * The `workflows.flotilla.io` CustomResourceDefinition, generated from the TypeBox schemas
 * (`schema.ts` for spec, `status.ts` for status), so the CRD never drifts from the types.
 *
 * TypeBox emits JSON Schema; a CRD needs a **structural** OpenAPI v3 schema. The conversion:
 * - every node gets a `type` (or `x-kubernetes-preserve-unknown-fields: true` for any JSON value);
 * - `$id`, `$ref`, `const`, `additionalProperties: false` are dropped (the API server prunes
 *   unknown fields instead); a union of literals becomes `enum`;
 * - `Type.Record` (`patternProperties`) becomes `additionalProperties: <schema>`;
 * - recursive schemas (Node, Condition) are expanded a fixed number of levels (Node 2: a node and
 *   the nodes of its branch cases / array; Condition 1: one comparison), then left as
 *   `type: object` with `x-kubernetes-preserve-unknown-fields: true` (the validator, not the API
 *   server, checks deeper levels);
 * - descriptions, bounds, patterns and formats are kept.
 *
 * Run `npm run gen:crd` to write `charts/flotilla/files/crds/workflows.flotilla.io.yaml`; a test fails
 * when the committed file differs from what this module generates.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlotillaError } from './errors.js';
import { createRequire } from 'node:module';
import { API_GROUP, API_VERSION, WORKFLOW_KIND, WORKFLOW_PLURAL, WorkflowSpecSchema } from './schema.js';
import { WorkflowStatusSchema } from './status.js';

/** A structural OpenAPI v3 schema node. */
export interface StructuralSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, StructuralSchema>;
  required?: string[];
  additionalProperties?: StructuralSchema;
  items?: StructuralSchema;
  enum?: (string | number | boolean)[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-preserve-unknown-fields'?: true;
}

export interface ToStructuralOptions {
  /**
   * How many times each recursive schema (by `$id`) is expanded along one path before it is cut;
   * ids not listed use `default`. Each level multiplies the size (a Node holds three Nodes and
   * Conditions): Node 2 / Condition 1 gives ~140 KB, Node 3 ~550 KB, Node 4 ~2 MB. The CRD must
   * stay under 256 KiB so `kubectl apply` (client-side, which copies it into an annotation) works.
   * @defaultValue { Node: 2, Condition: 1, default: 2 }
   */
  readonly recursionDepth?: Readonly<Record<string, number>>;
}

const DEFAULT_RECURSION: Readonly<Record<string, number>> = { Node: 2, Condition: 1, default: 2 };

/** The repository-relative path `npm run gen:crd` writes. */
export const CRD_FILE = 'charts/flotilla/files/crds/workflows.flotilla.io.yaml';

/** Thrown when a schema uses a construct that has no structural equivalent (a generator bug, not user input). */
export class CrdGenerationError extends FlotillaError<'UnsupportedSchema'> {
  override readonly name = 'CrdGenerationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('UnsupportedSchema', message, { ...options, retryable: false });
  }
}

type Json = Record<string, unknown>;

const COPIED = [
  'description',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
] as const;
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

function isJson(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

interface Walk {
  readonly defs: Map<string, Json>;
  readonly expanded: ReadonlyMap<string, number>;
  readonly limits: Readonly<Record<string, number>>;
  readonly at: string;
}

function cut(id: string, description: unknown): StructuralSchema {
  const note = `A nested ${id}, deeper than the CRD schema spells out: validated by flotilla, not by the API server.`;
  return {
    type: 'object',
    description: typeof description === 'string' ? `${description} ${note}` : note,
    'x-kubernetes-preserve-unknown-fields': true,
  };
}

function convert(schema: Json, walk: Walk): StructuralSchema {
  let w = walk;
  const id = typeof schema['$id'] === 'string' ? schema['$id'] : undefined;
  if (id !== undefined) {
    if (!w.defs.has(id)) w.defs.set(id, schema);
    const n = (w.expanded.get(id) ?? 0) + 1;
    if (n > (w.limits[id] ?? w.limits['default'] ?? 2)) return cut(id, schema['description']);
    w = { ...w, expanded: new Map([...w.expanded, [id, n]]) };
  }
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const target = w.defs.get(ref);
    if (target === undefined) throw new CrdGenerationError(`${w.at}: $ref ${ref} names no enclosing $id`);
    return convert(target, w);
  }
  const out: StructuralSchema = {};
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && schema['type'] === undefined) {
    if (typeof schema['description'] === 'string') out.description = schema['description'];
    out['x-kubernetes-preserve-unknown-fields'] = true;
    return out;
  }
  for (const key of COPIED) {
    const v = schema[key];
    if (v !== undefined) (out as Json)[key] = v;
  }
  if ('const' in schema) return literalEnum([schema], out, w);
  const anyOf = schema['anyOf'];
  if (Array.isArray(anyOf)) return literalEnum(anyOf, out, w);
  const type = schema['type'];
  if (typeof type !== 'string' || !TYPES.has(type))
    throw new CrdGenerationError(`${w.at}: no structural type for ${JSON.stringify(Object.keys(schema))}`);
  out.type = type as NonNullable<StructuralSchema['type']>;
  if (type === 'object') {
    const props = schema['properties'];
    if (isJson(props)) {
      out.properties = {};
      for (const [name, sub] of Object.entries(props)) {
        if (isJson(sub)) out.properties[name] = convert(sub, { ...w, at: `${w.at}.${name}` });
      }
    }
    const required = schema['required'];
    if (Array.isArray(required) && required.length > 0)
      out.required = required.filter((r): r is string => typeof r === 'string');
    const patterns = schema['patternProperties'];
    if (isJson(patterns)) {
      const values = Object.values(patterns).filter(isJson);
      const [only] = values;
      if (values.length !== 1 || only === undefined)
        throw new CrdGenerationError(`${w.at}: only one patternProperties schema is supported`);
      out.additionalProperties = convert(only, { ...w, at: `${w.at}.*` });
    } else if (isJson(schema['additionalProperties'])) {
      out.additionalProperties = convert(schema['additionalProperties'], { ...w, at: `${w.at}.*` });
    }
  } else if (type === 'array') {
    const items = schema['items'];
    if (!isJson(items)) throw new CrdGenerationError(`${w.at}: an array needs one items schema`);
    out.items = convert(items, { ...w, at: `${w.at}[]` });
  }
  return out;
}

function literalEnum(members: unknown[], out: StructuralSchema, w: Walk): StructuralSchema {
  const values: (string | number | boolean)[] = [];
  const types = new Set<string>();
  for (const m of members) {
    const c = isJson(m) ? m['const'] : undefined;
    if (typeof c !== 'string' && typeof c !== 'number' && typeof c !== 'boolean') {
      throw new CrdGenerationError(`${w.at}: a union must be of literals to become an enum`);
    }
    values.push(c);
    types.add(typeof c === 'number' ? (Number.isInteger(c) ? 'integer' : 'number') : typeof c);
  }
  if (types.size !== 1)
    throw new CrdGenerationError(`${w.at}: a union of literals of differing types has no structural form`);
  out.type = [...types][0] as NonNullable<StructuralSchema['type']>;
  out.enum = values;
  return out;
}

/** Converts a TypeBox / JSON Schema into a structural OpenAPI v3 schema. */
export function toStructural(schema: unknown, options: ToStructuralOptions = {}): StructuralSchema {
  if (!isJson(schema)) throw new CrdGenerationError('the schema must be an object');
  return convert(schema, {
    defs: new Map(),
    expanded: new Map(),
    limits: options.recursionDepth ?? DEFAULT_RECURSION,
    at: '',
  });
}

/** The whole CustomResourceDefinition object (`apiextensions.k8s.io/v1`). */
export function workflowCrd(): Json {
  const spec = toStructural(WorkflowSpecSchema);
  spec.description = 'What to run: task templates, the DAG of nodes, sub-workflows, outputs and failure handling.';
  const status = toStructural(WorkflowStatusSchema);
  status.description = 'What happened, written by the replica that owns the shard.';
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${WORKFLOW_PLURAL}.${API_GROUP}`, labels: { 'app.kubernetes.io/part-of': 'flotilla' } },
    spec: {
      group: API_GROUP,
      names: {
        kind: WORKFLOW_KIND,
        listKind: `${WORKFLOW_KIND}List`,
        plural: WORKFLOW_PLURAL,
        singular: 'workflow',
        shortNames: ['wf'],
        categories: ['flotilla', 'all'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'The workflow phase.' },
            {
              name: 'Progress',
              type: 'string',
              jsonPath: '.status.progress',
              description: 'Finished top-level nodes / all top-level nodes.',
            },
            {
              name: 'Shard',
              type: 'string',
              jsonPath: '.metadata.labels.flotilla\\.io/shard',
              description: 'The shard that owns the workflow.',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'A flotilla Workflow: a DAG of tasks, branches, sub-workflows, gates and arrays, run by the replica owning its shard.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status,
              },
            },
          },
        },
      ],
    },
  };
}

/** The CRD as the YAML file `npm run gen:crd` writes (deterministic). */
export function workflowCrdYaml(): string {
  const header =
    '# Generated by `npm run gen:crd` from src/api/schema.ts and src/api/status.ts (src/api/crd.ts). Do not edit.\n';
  // Required here, not imported at the top: a replica needs the CRD object (`--install-crd`), never
  // its YAML, and the yaml package is ~10 MiB of RSS.
  const { stringify } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return header + stringify(workflowCrd(), { lineWidth: 0, aliasDuplicateObjects: false });
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] !== undefined && resolve(process.argv[1]) === self) {
  const target = resolve(dirname(self), '..', '..', CRD_FILE);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, workflowCrdYaml());
  console.error(`wrote ${CRD_FILE}`);
}
