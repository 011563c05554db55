/**
 * Per-node checks: ids (present, DNS labels, unique per scope), the kind's block present and no
 * other kind's block, kind-specific rules (task exists, branch has cases, gate has exactly one
 * of signal/sleep/approve, array has an item node and a list to map over, workflow ref exists),
 * positive timeouts, and every binding and condition the node holds.
 */
import { checkBinding } from './bindings.js';
import type { BindingSite } from './bindings.js';
import { checkCondition } from './conditions.js';
import type { CheckContext } from './context.js';
import { who } from './context.js';
import { MAX_DURATION_MS, parseDuration } from '../duration.js';
import type { NodeRef } from './model.js';
import { entries, isRecord, str } from './model.js';
import { checkKey, checkNodeId } from './names.js';
import { NodeKinds } from '../schema.js';
import { hint, indexPath, keyPath, quote } from './wording.js';

/** Adds `BadDuration` when a (well-formed) duration is zero (unless `allowZero`: a sleep of nothing is harmless) or absurdly long. */
export function checkPositiveDuration(
  ctx: CheckContext,
  value: unknown,
  path: string,
  what: string,
  options: { allowZero?: boolean } = {},
): void {
  const text = str(value);
  if (text === undefined) return;
  const ms = parseDuration(text);
  if (ms === undefined) return; // the schema reports the format
  if (ms <= 0 && options.allowZero !== true)
    ctx.issues.add(path, 'BadDuration', `${what} must be longer than zero, got ${quote(text)}`);
  else if (ms > MAX_DURATION_MS) ctx.issues.add(path, 'BadDuration', `${what} ${quote(text)} is longer than 366 days`);
}

function checkIds(ctx: CheckContext): void {
  const { issues } = ctx;
  for (const scope of ctx.model.scopes) {
    const first = new Map<string, NodeRef>();
    for (const node of scope.nodes) {
      if (node.id === undefined) {
        if (node.raw['id'] === undefined)
          issues.add(
            `${node.path}.id`,
            'MissingId',
            `every node in a nodes list needs an id (a DNS label such as 'load-data')`,
          );
        continue;
      }
      checkNodeId(node.id, `${node.path}.id`, issues);
      const prior = first.get(node.id);
      if (prior !== undefined)
        issues.add(
          `${node.path}.id`,
          'DuplicateId',
          `id ${quote(node.id)} is already used by ${prior.path}; ids must be unique in ${scope.label}`,
        );
      else first.set(node.id, node);
    }
    for (const node of scope.all) {
      if (node.role !== 'list') {
        if (node.id !== undefined) checkNodeId(node.id, `${node.path}.id`, issues);
        else if (node.role === 'case' && node.raw['id'] === undefined)
          issues.add(
            `${node.path}.id`,
            'MissingId',
            `a branch case's node needs an id (its status appears under the branch as <branch>/<id>)`,
          );
      }
      if (node.kind !== 'branch') continue;
      const seen = new Map<string, NodeRef>();
      for (const child of node.children) {
        if (child.id === undefined) continue;
        const prior = seen.get(child.id);
        if (prior !== undefined)
          issues.add(
            `${child.path}.id`,
            'DuplicateId',
            `id ${quote(child.id)} is already used by ${prior.path}; the nodes of one branch need distinct ids`,
          );
        else seen.set(child.id, child);
      }
    }
  }
}

const BLOCKS: readonly string[] = NodeKinds;

function checkBlocks(ctx: CheckContext, node: NodeRef): void {
  const { issues, model } = ctx;
  const kind = node.kind;
  if (kind === undefined || !BLOCKS.includes(kind)) return; // the schema reports it
  for (const other of BLOCKS) {
    if (other !== kind && node.raw[other] !== undefined) {
      issues.add(
        `${node.path}.${other}`,
        'ConflictingBlocks',
        `${who(node)} has kind ${quote(kind)} but also a ${quote(other)} block; remove it or change the kind`,
      );
    }
  }
  if (node.raw[kind] === undefined) {
    const what =
      kind === 'task'
        ? `'task': the name of a task template in spec.tasks${hint('', Object.keys(model.tasks), 'templates')}`
        : `a ${quote(kind)} block`;
    issues.add(`${node.path}.${kind}`, 'MissingBlock', `${who(node)} has kind ${quote(kind)} and needs ${what}`);
  }
}

function checkKindRules(ctx: CheckContext, node: NodeRef, site: BindingSite): void {
  const { issues, model } = ctx;
  const raw = node.raw;
  switch (node.kind) {
    case 'task': {
      const name = str(raw['task']);
      if (name !== undefined && !Object.hasOwn(model.tasks, name)) {
        issues.add(
          `${node.path}.task`,
          'UnknownTask',
          `${who(node)} uses task ${quote(name)}, which is not in spec.tasks${hint(name, Object.keys(model.tasks), 'templates')}`,
        );
      }
      break;
    }
    case 'branch': {
      const branch = raw['branch'];
      if (!isRecord(branch)) break;
      const cases = branch['cases'];
      if (Array.isArray(cases)) {
        if (cases.length === 0)
          issues.add(
            `${node.path}.branch.cases`,
            'EmptyBranch',
            `${who(node)} has no cases; give at least one case (when + node)`,
          );
        cases.forEach((c: unknown, i) => {
          if (isRecord(c) && c['when'] !== undefined)
            checkCondition(ctx, c['when'], `${indexPath(`${node.path}.branch.cases`, i)}.when`, site, 1);
        });
      }
      const otherwise = branch['else'];
      if (isRecord(otherwise)) {
        const hasNode = otherwise['node'] !== undefined;
        const hasError = otherwise['error'] !== undefined;
        if (!hasNode && !hasError)
          issues.add(`${node.path}.branch.else`, 'MissingBlock', `'else' needs a node to run or an error to fail with`);
        if (hasNode && hasError)
          issues.add(`${node.path}.branch.else`, 'ConflictingBlocks', `'else' has both a node and an error; keep one`);
      }
      break;
    }
    case 'gate': {
      const gate = raw['gate'];
      if (!isRecord(gate)) break;
      const modes = (['signal', 'sleep', 'approve'] as const).filter((k) => gate[k] !== undefined);
      if (modes.length === 0)
        issues.add(
          `${node.path}.gate`,
          'GateWithoutKind',
          `${who(node)} is a gate without signal, sleep or approve; give exactly one`,
        );
      if (modes.length > 1)
        issues.add(
          `${node.path}.gate`,
          'ConflictingBlocks',
          `${who(node)} has ${modes.join(' and ')}; a gate waits for exactly one of signal, sleep or approve`,
        );
      if (isRecord(gate['signal']) && typeof gate['signal']['name'] === 'string')
        checkKey(gate['signal']['name'], 'signal', `${node.path}.gate.signal.name`, issues);
      if (isRecord(gate['approve']) && typeof gate['approve']['name'] === 'string')
        checkKey(gate['approve']['name'], 'approval', `${node.path}.gate.approve.name`, issues);
      checkPositiveDuration(ctx, gate['timeout'], `${node.path}.gate.timeout`, 'a gate timeout');
      checkPositiveDuration(ctx, gate['sleep'], `${node.path}.gate.sleep`, 'a sleep', { allowZero: true });
      break;
    }
    case 'workflow': {
      const wf = raw['workflow'];
      const ref = isRecord(wf) ? str(wf['ref']) : undefined;
      if (ref !== undefined && !model.subWorkflows.has(ref)) {
        issues.add(
          `${node.path}.workflow.ref`,
          'UnknownSubWorkflow',
          `${who(node)} runs sub-workflow ${quote(ref)}, which is not in spec.subWorkflows${hint(ref, [...model.subWorkflows.keys()], 'sub-workflows')}`,
        );
      }
      break;
    }
    case 'array':
      checkArray(ctx, node, site);
      break;
    default:
      break;
  }
}

function checkArray(ctx: CheckContext, node: NodeRef, site: BindingSite): void {
  const array = node.raw['array'];
  if (!isRecord(array)) return;
  const item = array['node'];
  if (item === undefined)
    ctx.issues.add(
      `${node.path}.array.node`,
      'MissingBlock',
      `${who(node)} is an array without 'node': the node to run for each item`,
    );
  const itemKind = isRecord(item) ? str(item['kind']) : undefined;
  if (
    itemKind !== undefined &&
    itemKind !== 'task' &&
    itemKind !== 'workflow' &&
    (NodeKinds as readonly string[]).includes(itemKind)
  ) {
    ctx.issues.add(
      `${node.path}.array.node.kind`,
      'UnsupportedNode',
      `an array maps a task or a workflow node over its items, not a ${itemKind}; wrap the ${itemKind} in a sub-workflow and map a workflow node`,
    );
  }
  const over = array['over'];
  if (over === undefined) return;
  checkBinding(ctx, over, `${node.path}.array.over`, { ...site, what: `the list ${who(node)} maps over` });
  const type = ctx.inference.typeOf(over, node.scope);
  if (type !== 'unknown' && type !== 'list') {
    ctx.issues.add(
      `${node.path}.array.over`,
      'NotAList',
      `${who(node)} maps over ${type === 'null' ? 'null' : `a ${type}`}; 'over' must give a list`,
    );
  }
  let items: unknown;
  if (isRecord(over) && Array.isArray(over['value'])) items = over['value'];
  const fromInput = isRecord(over) ? str(over['fromInput']) : undefined;
  if (
    fromInput !== undefined &&
    node.scope.subWorkflow === undefined &&
    ctx.model.inputs !== undefined &&
    Object.hasOwn(ctx.model.inputs, fromInput)
  )
    items = ctx.model.inputs[fromInput];
  if (Array.isArray(items) && items.length > ctx.options.maxArrayItems) {
    ctx.issues.add(
      `${node.path}.array.over`,
      'TooLarge',
      `${who(node)} maps over ${items.length} items; the limit is ${ctx.options.maxArrayItems}`,
    );
  }
}

/** Every check of every node in every scope. */
export function checkNodes(ctx: CheckContext): void {
  checkIds(ctx);
  for (const scope of ctx.model.scopes) {
    for (const node of scope.all) {
      const site: BindingSite = { scope, node, inArray: node.inArray, what: who(node) };
      checkBlocks(ctx, node);
      checkKindRules(ctx, node, site);
      checkPositiveDuration(ctx, node.raw['timeout'], `${node.path}.timeout`, 'a timeout');
      const deps = node.raw['dependsOn'];
      if (Array.isArray(deps))
        deps.forEach((d: unknown, i) => checkDependency(ctx, node, d, indexPath(`${node.path}.dependsOn`, i)));
      for (const [name, binding] of entries(node.raw['inputs'])) {
        checkBinding(ctx, binding, keyPath(`${node.path}.inputs`, name), {
          ...site,
          what: `input ${quote(name)} of ${who(node)}`,
        });
      }
    }
  }
}

function checkDependency(ctx: CheckContext, node: NodeRef, dep: unknown, path: string): void {
  if (typeof dep !== 'string') return;
  const target = node.scope.ids.get(dep);
  if (target === undefined) {
    ctx.issues.add(
      path,
      'UnknownNode',
      `${who(node)} depends on ${quote(dep)}, which does not exist in ${node.scope.label}${hint(dep, [...node.scope.ids.keys()], 'nodes')}`,
    );
    return;
  }
  if (node.owner === undefined) return;
  const edges = ctx.edges.get(node.scope) ?? [];
  edges.push({ from: node.owner, to: target, path });
  ctx.edges.set(node.scope, edges);
}
