/**
 * A tolerant view of a spec for the semantic checks: scopes (the workflow, each sub-workflow),
 * their nodes with paths, and the nesting of branch cases and array items. Built from `unknown`
 * with every shape narrowed, so it works on specs the schema check has already rejected (that
 * is how every issue is reported at once).
 */
import { indexPath, keyPath, quote } from './wording.js';

export type Rec = Record<string, unknown>;

export function isRecord(value: unknown): value is Rec {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Own enumerable entries of a record, or none. */
export function entries(value: unknown): [string, unknown][] {
  return isRecord(value) ? Object.entries(value) : [];
}

/** How a node sits in its scope: in a `nodes` list, a branch case, a branch's else, an array's item, or onFailure. */
export type NodeRole = 'list' | 'case' | 'else' | 'item' | 'onFailure';

export interface NodeRef {
  readonly raw: Rec;
  readonly path: string;
  readonly scope: Scope;
  /** The `nodes`-list node this node is or is nested in; edges of nested nodes belong to it. Undefined for onFailure. */
  readonly owner: NodeRef | undefined;
  readonly role: NodeRole;
  /** Inside an array node's item (so `fromItem` is valid). */
  readonly inArray: boolean;
  /** 1 for a node in a `nodes` list, +1 per branch/array level. */
  readonly depth: number;
  readonly id: string | undefined;
  readonly kind: string | undefined;
  readonly children: NodeRef[];
}

export interface Scope {
  /** For messages: `the workflow` or `sub-workflow 'publish'`. */
  readonly label: string;
  /** `spec` or `spec.subWorkflows.publish`. */
  readonly path: string;
  readonly subWorkflow: string | undefined;
  /** The nodes of its `nodes` list, in order. */
  readonly nodes: NodeRef[];
  /** The first list node with each id. */
  readonly ids: Map<string, NodeRef>;
  /** Every node of the scope, nested ones included. */
  readonly all: NodeRef[];
}

export interface SubWorkflowRef {
  readonly name: string;
  readonly raw: Rec;
  readonly path: string;
  readonly scope: Scope;
}

export interface Model {
  readonly spec: Rec;
  readonly base: string;
  readonly tasks: Rec;
  readonly inputs: Rec | undefined;
  readonly subWorkflows: Map<string, SubWorkflowRef>;
  readonly top: Scope;
  readonly onFailure: NodeRef | undefined;
  readonly scopes: Scope[];
  readonly nodeCount: number;
}

function newScope(label: string, path: string, subWorkflow: string | undefined): Scope {
  return { label, path, subWorkflow, nodes: [], ids: new Map(), all: [] };
}

interface Walk {
  count: number;
}

function addNode(
  raw: unknown,
  path: string,
  scope: Scope,
  owner: NodeRef | undefined,
  role: NodeRole,
  inArray: boolean,
  depth: number,
  walk: Walk,
): NodeRef | undefined {
  if (!isRecord(raw)) return undefined;
  walk.count++;
  const ref: { -readonly [K in keyof NodeRef]: NodeRef[K] } = {
    raw,
    path,
    scope,
    owner,
    role,
    inArray,
    depth,
    id: str(raw['id']),
    kind: str(raw['kind']),
    children: [],
  };
  if (role === 'list') ref.owner = ref;
  const self = ref.owner;
  scope.all.push(ref);
  const child = (value: unknown, p: string, r: NodeRole, arr: boolean): void => {
    const c = addNode(value, p, scope, self, r, arr, depth + 1, walk);
    if (c !== undefined) ref.children.push(c);
  };
  if (ref.kind === 'branch' && isRecord(raw['branch'])) {
    const branch = raw['branch'];
    const cases = branch['cases'];
    if (Array.isArray(cases)) {
      cases.forEach((c: unknown, i) => {
        if (isRecord(c)) child(c['node'], `${indexPath(`${path}.branch.cases`, i)}.node`, 'case', inArray);
      });
    }
    const otherwise = branch['else'];
    if (isRecord(otherwise) && otherwise['node'] !== undefined)
      child(otherwise['node'], `${path}.branch.else.node`, 'else', inArray);
  } else if (ref.kind === 'array' && isRecord(raw['array']) && raw['array']['node'] !== undefined) {
    child(raw['array']['node'], `${path}.array.node`, 'item', true);
  }
  return ref;
}

function fillScope(scope: Scope, nodes: unknown, walk: Walk): void {
  if (!Array.isArray(nodes)) return;
  nodes.forEach((raw: unknown, i) => {
    const ref = addNode(raw, indexPath(`${scope.path}.nodes`, i), scope, undefined, 'list', false, 1, walk);
    if (ref === undefined) return;
    scope.nodes.push(ref);
    if (ref.id !== undefined && !scope.ids.has(ref.id)) scope.ids.set(ref.id, ref);
  });
}

export function buildModel(spec: Rec, base: string): Model {
  const walk: Walk = { count: 0 };
  const top = newScope('the workflow', base, undefined);
  fillScope(top, spec['nodes'], walk);
  const subWorkflows = new Map<string, SubWorkflowRef>();
  const scopes = [top];
  for (const [name, raw] of entries(spec['subWorkflows'])) {
    if (!isRecord(raw)) continue;
    const path = keyPath(`${base}.subWorkflows`, name);
    const scope = newScope(`sub-workflow ${quote(name)}`, path, name);
    fillScope(scope, raw['nodes'], walk);
    subWorkflows.set(name, { name, raw, path, scope });
    scopes.push(scope);
  }
  const onFailure = addNode(spec['onFailure'], `${base}.onFailure`, top, undefined, 'onFailure', false, 1, walk);
  return {
    spec,
    base,
    tasks: isRecord(spec['tasks']) ? spec['tasks'] : {},
    inputs: isRecord(spec['inputs']) ? spec['inputs'] : undefined,
    subWorkflows,
    top,
    onFailure,
    scopes,
    nodeCount: walk.count,
  };
}
