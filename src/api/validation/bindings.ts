/**
 * Bindings and the references they make: exactly one source per binding; `fromInput` names a
 * declared input; `fromNode` names a node of the same scope and `output` one of its outputs
 * (when knowable); `fromItem` only inside an array's item node. `fromNode` adds a dependency
 * edge for the cycle check.
 */
import type { CheckContext } from './context.js';
import { who } from './context.js';
import type { NodeRef, Scope } from './model.js';
import { isRecord, str } from './model.js';
import { jsonBytes } from './raw.js';
import { hint, listOf, quote } from './wording.js';

export interface BindingSite {
  readonly scope: Scope;
  /** The node the binding belongs to (its owner gets the edge), if any. */
  readonly node: NodeRef | undefined;
  readonly inArray: boolean;
  /** For messages: `input 'rows' of node 'load'`. */
  readonly what: string;
}

const SOURCES = ['fromInput', 'fromNode', 'fromItem', 'value'] as const;

export function checkBinding(ctx: CheckContext, binding: unknown, path: string, site: BindingSite): void {
  if (!isRecord(binding)) return;
  const { issues } = ctx;
  const present = SOURCES.filter((k) => (k === 'value' ? 'value' in binding : binding[k] !== undefined));
  if (present.length === 0) {
    issues.add(
      path,
      'BadBinding',
      `${site.what} has no source; give exactly one of fromInput, fromNode (with output), fromItem or value`,
    );
  } else if (present.length > 1) {
    issues.add(
      path,
      'BadBinding',
      `${site.what} has ${present.length} sources (${present.join(', ')}); keep exactly one`,
    );
  }
  if (binding['output'] !== undefined && binding['fromNode'] === undefined) {
    issues.add(
      `${path}.output`,
      'BadBinding',
      `${site.what} has 'output' without 'fromNode'; name the node the output comes from`,
    );
  }
  if (binding['fromItem'] !== undefined) {
    if (binding['fromItem'] !== true)
      issues.add(
        `${path}.fromItem`,
        'BadBinding',
        `fromItem must be true (it means "the current item"); remove it otherwise`,
      );
    else if (!site.inArray)
      issues.add(
        `${path}.fromItem`,
        'FromItemOutsideArray',
        `${site.what} uses fromItem outside an array node's item node; only the node an array maps over has an item`,
      );
  }
  const fromInput = str(binding['fromInput']);
  if (fromInput !== undefined) checkFromInput(ctx, fromInput, `${path}.fromInput`, site);
  const fromNode = str(binding['fromNode']);
  if (fromNode !== undefined) checkFromNode(ctx, fromNode, str(binding['output']), path, site);
  if ('value' in binding) {
    const bytes = jsonBytes(binding['value']);
    if (bytes > ctx.options.maxInputValueBytes) {
      issues.add(
        `${path}.value`,
        'TooLarge',
        `the literal value is ${bytes} bytes; the limit is ${ctx.options.maxInputValueBytes}. Pass large data by reference (e.g. a URL)`,
      );
    }
  }
}

function checkFromInput(ctx: CheckContext, name: string, path: string, site: BindingSite): void {
  const names = ctx.inputNames.get(site.scope);
  if (names === undefined || names.has(name)) return;
  const where =
    site.scope.subWorkflow === undefined
      ? 'the workflow (spec.inputs)'
      : `${site.scope.label} (its inputs, or inputs every node running it passes)`;
  const known = [...names];
  ctx.issues.add(
    path,
    'UnknownInput',
    `${site.what} reads input ${quote(name)}, which is not an input of ${where}${hint(name, known, 'inputs')}`,
  );
}

function checkFromNode(
  ctx: CheckContext,
  name: string,
  output: string | undefined,
  path: string,
  site: BindingSite,
): void {
  const { issues, inference } = ctx;
  const target = site.scope.ids.get(name);
  if (target === undefined) {
    issues.add(
      `${path}.fromNode`,
      'UnknownNode',
      `${site.what} reads from node ${quote(name)}, which does not exist in ${site.scope.label}${hint(name, [...site.scope.ids.keys()], 'nodes')}`,
    );
    return;
  }
  const owner = site.node?.owner;
  if (owner !== undefined) {
    const edges = ctx.edges.get(site.scope) ?? [];
    edges.push({ from: owner, to: target, path: `${path}.fromNode` });
    ctx.edges.set(site.scope, edges);
  }
  if (output === undefined) return; // the node's whole outputs object
  const outputs = inference.outputsOf(target);
  if (outputs === undefined || outputs.has(output)) return;
  const known = [...outputs.keys()];
  const has = known.length === 0 ? `${who(target)} produces no outputs` : `${who(target)} has outputs ${listOf(known)}`;
  const near = hint(output, known, 'outputs');
  issues.add(
    `${path}.output`,
    'UnknownOutput',
    `${site.what} reads output ${quote(output)} of node ${quote(name)}, which it does not produce: ${has}${near.startsWith('; did') ? near : ''}`,
  );
}
