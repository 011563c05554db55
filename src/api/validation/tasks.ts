/**
 * Spec-level checks outside the node graph: task templates (plugin blocks, durations, names),
 * declared inputs (names, sizes), the workflow's and sub-workflows' `outputs` bindings, and the
 * set of input names `fromInput` may use in each scope.
 */
import { checkBinding } from './bindings.js';
import type { CheckContext } from './context.js';
import { parseDuration } from '../duration.js';
import type { Model, Scope } from './model.js';
import { entries, isRecord, str } from './model.js';
import { checkKey } from './names.js';
import { checkPositiveDuration } from './nodes.js';
import { formatQuantity, parseQuantity, type Quantity } from '../quantity.js';
import { jsonBytes } from './raw.js';
import { describeValue, hint, keyPath, quote } from './wording.js';

export function checkTasks(ctx: CheckContext): void {
  const { issues, options } = ctx;
  for (const [name, template] of entries(ctx.model.spec['tasks'])) {
    const path = keyPath(`${ctx.model.base}.tasks`, name);
    checkKey(name, 'task', path, issues);
    if (!isRecord(template)) continue;
    const plugin = str(template['plugin']);
    if (plugin === undefined) continue;
    if (options.plugins !== undefined && !options.plugins.includes(plugin)) {
      issues.add(
        `${path}.plugin`,
        'UnknownPlugin',
        `task ${quote(name)} uses plugin ${quote(plugin)}, which this controller does not run${hint(plugin, options.plugins, 'plugins')}`,
      );
    }
    for (const block of ['pod', 'agent'] as const) {
      if (plugin !== block && template[block] !== undefined) {
        issues.add(
          `${path}.${block}`,
          'ConflictingBlocks',
          `task ${quote(name)} uses plugin ${quote(plugin)} but has a ${quote(block)} block, which only the ${block} plugin reads; remove it or set plugin: ${block}`,
        );
      }
    }
    if (plugin === 'pod') {
      if (template['pod'] === undefined)
        issues.add(
          `${path}.pod`,
          'MissingBlock',
          `task ${quote(name)} uses the pod plugin and needs a 'pod' block with at least 'image'`,
        );
      else if (isRecord(template['pod']) && template['pod']['image'] === undefined)
        issues.add(`${path}.pod.image`, 'MissingBlock', `task ${quote(name)} runs a pod and needs 'pod.image'`);
      if (isRecord(template['pod'])) checkResources(ctx, template['pod']['resources'], `${path}.pod.resources`);
    }
    if (plugin === 'agent') {
      if (template['agent'] === undefined)
        issues.add(
          `${path}.agent`,
          'MissingBlock',
          `task ${quote(name)} uses the agent plugin and needs an 'agent' block with at least 'service'`,
        );
      else if (isRecord(template['agent']) && template['agent']['service'] === undefined)
        issues.add(
          `${path}.agent.service`,
          'MissingBlock',
          `task ${quote(name)} calls an agent and needs 'agent.service'`,
        );
    }
    const config = template['config'];
    if (plugin === 'sleep' && isRecord(config) && config['duration'] !== undefined) {
      const d = config['duration'];
      if (typeof d !== 'string' || parseDuration(d) === undefined) {
        issues.add(
          `${path}.config.duration`,
          'BadDuration',
          `the sleep plugin's duration must be a duration such as 2s or 1m, got ${describeValue(d)}`,
        );
      } else {
        checkPositiveDuration(ctx, d, `${path}.config.duration`, `the sleep plugin's duration`, { allowZero: true });
      }
    }
    if (plugin === 'flaky' && isRecord(config) && config['failAttempts'] !== undefined) {
      const n = config['failAttempts'];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
        issues.add(
          `${path}.config.failAttempts`,
          'SchemaViolation',
          `failAttempts must be a whole number, 0 or more, got ${describeValue(n)}`,
        );
      }
    }
    checkPositiveDuration(ctx, template['timeout'], `${path}.timeout`, 'a timeout');
    for (const [output] of entries(template['outputs']))
      checkKey(output, 'output', keyPath(`${path}.outputs`, output), issues);
  }
  checkPositiveDuration(ctx, ctx.model.spec['activeDeadline'], `${ctx.model.base}.activeDeadline`, 'activeDeadline');
}

/**
 * Pod resource quantities, as the API server reads them: a task a real cluster would refuse is
 * invalid up front instead of failing (or looping) once it runs.
 */
function checkResources(ctx: CheckContext, resources: unknown, path: string): void {
  if (!isRecord(resources)) return;
  const parsed: Record<string, Record<string, Quantity>> = {};
  for (const kind of ['requests', 'limits'] as const) {
    parsed[kind] = {};
    for (const [resource, value] of entries(resources[kind])) {
      const p = keyPath(`${path}.${kind}`, resource);
      const quantity = typeof value === 'string' ? parseQuantity(value) : undefined;
      if (quantity === undefined)
        ctx.issues.add(
          p,
          'BadQuantity',
          `${describeValue(value)} is not a Kubernetes quantity (such as 500m, 2, 256Mi or 1Gi)`,
        );
      else if (quantity.nano < 0n) ctx.issues.add(p, 'BadQuantity', `${describeValue(value)} must be 0 or more`);
      else parsed[kind][resource] = quantity;
    }
  }
  for (const [resource, request] of Object.entries(parsed['requests'] ?? {})) {
    const limit = parsed['limits']?.[resource];
    if (limit !== undefined && request.nano > limit.nano) {
      ctx.issues.add(
        keyPath(`${path}.requests`, resource),
        'BadQuantity',
        `the ${resource} request ${formatQuantity(request.nano, request.format)} is more than its limit ${formatQuantity(limit.nano, limit.format)}`,
      );
    }
  }
}

function checkInputValues(ctx: CheckContext, inputs: unknown, path: string): void {
  for (const [name, value] of entries(inputs)) {
    const p = keyPath(path, name);
    checkKey(name, 'input', p, ctx.issues);
    const bytes = jsonBytes(value);
    if (bytes > ctx.options.maxInputValueBytes) {
      ctx.issues.add(
        p,
        'TooLarge',
        `input ${quote(name)} is ${bytes} bytes serialised; the limit is ${ctx.options.maxInputValueBytes}. Pass large data by reference (e.g. a URL)`,
      );
    }
  }
}

/** Names and sizes of declared inputs; `outputs` bindings of the workflow and sub-workflows. */
export function checkInputsAndOutputs(ctx: CheckContext): void {
  const { model } = ctx;
  checkInputValues(ctx, model.spec['inputs'], `${model.base}.inputs`);
  const outputsOf = (raw: unknown, path: string, scope: Scope, owner: string): void => {
    for (const [name, binding] of entries(raw)) {
      checkKey(name, 'output', keyPath(path, name), ctx.issues);
      checkBinding(ctx, binding, keyPath(path, name), {
        scope,
        node: undefined,
        inArray: false,
        what: `output ${quote(name)} of ${owner}`,
      });
    }
  };
  outputsOf(model.spec['outputs'], `${model.base}.outputs`, model.top, 'the workflow');
  for (const sub of model.subWorkflows.values()) {
    checkKey(sub.name, 'sub-workflow', sub.path, ctx.issues);
    checkInputValues(ctx, sub.raw['inputs'], `${sub.path}.inputs`);
    outputsOf(sub.raw['outputs'], `${sub.path}.outputs`, sub.scope, sub.scope.label);
  }
}

/**
 * The input names `fromInput` may use per scope: the workflow's `spec.inputs`; in a
 * sub-workflow, its declared inputs plus the names every node running it passes (no entry, so no
 * check, for a sub-workflow nothing runs).
 */
export function inputNamesByScope(model: Model): Map<Scope, ReadonlySet<string>> {
  const result = new Map<Scope, ReadonlySet<string>>();
  result.set(model.top, new Set(model.inputs === undefined ? [] : Object.keys(model.inputs)));
  const callers = new Map<string, Set<string>[]>();
  for (const scope of model.scopes) {
    for (const node of scope.all) {
      if (node.kind !== 'workflow' || !isRecord(node.raw['workflow'])) continue;
      const ref = str(node.raw['workflow']['ref']);
      if (ref === undefined || scope.subWorkflow === ref) continue; // a self-call is a RecursiveSubWorkflow issue
      const list = callers.get(ref) ?? [];
      list.push(new Set(Object.keys(isRecord(node.raw['inputs']) ? node.raw['inputs'] : {})));
      callers.set(ref, list);
    }
  }
  for (const sub of model.subWorkflows.values()) {
    const names = new Set(Object.keys(isRecord(sub.raw['inputs']) ? sub.raw['inputs'] : {}));
    const passed = callers.get(sub.name) ?? [];
    const [first, ...rest] = passed;
    if (first === undefined) continue; // never run: what it will be given is unknowable
    for (const n of first) if (rest.every((s) => s.has(n))) names.add(n);
    result.set(sub.scope, names);
  }
  return result;
}
