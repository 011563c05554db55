/**
 * The array node: maps a task or workflow node over a list. At most `parallelism` items are
 * active (0 = unbounded); items start in index order. Progress is compact: one character per
 * item (`array.phases`), active items' statuses in `array.items` (keyed by index, removed once
 * terminal), failures' messages in `array.failures`, outputs in columns (`array.outputs`). When
 * more items failed than `minSuccesses` (or else `minSuccessRatio`) allows, active items are aborted and the node fails.
 * The node's output `x` is the list of the items' `x`, in item order, `null` for failed items.
 */
import type { JsonObject, JsonValue, WorkflowNode } from '../../api/schema.js';
import { ArrayItemCodes, isTerminalNodePhase, type ArrayStatus, type NodeStatus } from '../../api/status.js';
import { resolveBinding } from '../bindings.js';
import { isJsonObject, type NodeRef, type RoundContext } from '../context.js';
import { EngineError } from '../errors.js';

const MAX_ITEM_MESSAGE = 256;

export function runArrayNode(ctx: RoundContext, ref: NodeRef): void {
  const { path, node, ns, scope } = ref;
  const block = node.array;
  if (!block) throw new EngineError('InvalidSpec', `array node ${path} has no array block`);
  if (block.node.kind !== 'task' && block.node.kind !== 'workflow')
    throw new EngineError(
      'InvalidSpec',
      `array node ${path}: items must be task or workflow nodes, not ${block.node.kind}`,
    );
  if (ns.phase !== 'Pending' && ns.phase !== 'Running') return;
  if (ns.phase === 'Pending' && !ctx.mayStart(path, ns)) return;
  const list = resolveBinding(ctx, scope, block.over);
  if (!Array.isArray(list)) {
    ctx.setPhase(path, ns, 'Failed', {
      message: `array ${path}: "over" is not a list (got ${list === null ? 'null' : typeof list})`,
      reason: 'NotAList',
    });
    return;
  }
  if (ns.phase === 'Pending' || !ns.array) {
    ns.array = { size: list.length, phases: ArrayItemCodes.Pending.repeat(list.length), succeeded: 0, failed: 0 };
    ctx.setPhase(path, ns, 'Running', { message: `0/${list.length} items done` });
  }
  const arr = ns.array;
  if (arr.size !== list.length) {
    ctx.setPhase(path, ns, 'Failed', {
      message: `array ${path}: the list changed size (${arr.size} → ${list.length})`,
      reason: 'ListChanged',
    });
    return;
  }
  const ratio = block.minSuccessRatio ?? 1;
  // An absolute count (Flyte's ArrayNode MinSuccesses) wins over the ratio when both are given.
  const required =
    block.minSuccesses !== undefined
      ? Math.min(arr.size, block.minSuccesses)
      : Math.min(arr.size, Math.max(0, Math.ceil(ratio * arr.size - 1e-9)));
  const allowedFailures = arr.size - required;
  const chars = arr.phases.split('');
  const items = (arr.items ??= {});
  const item = itemRunner(ctx, path, block.node, list, scope, arr, chars);

  for (const key of Object.keys(items)) {
    const itemNs = items[key];
    if (itemNs) item.step(Number(key), itemNs);
  }
  const limit = block.parallelism !== undefined && block.parallelism > 0 ? block.parallelism : Number.POSITIVE_INFINITY;
  let active = Object.keys(items).length;
  let cursor = chars.indexOf(ArrayItemCodes.Pending);
  while (arr.failed <= allowedFailures && active < limit && cursor !== -1) {
    const itemNs: NodeStatus = { phase: 'Pending', kind: block.node.kind };
    items[String(cursor)] = itemNs;
    chars[cursor] = ArrayItemCodes.Running;
    if (!item.step(cursor, itemNs)) active++;
    cursor = chars.indexOf(ArrayItemCodes.Pending, cursor + 1);
  }
  if (arr.failed > allowedFailures) {
    for (const key of Object.keys(items)) {
      const itemNs = items[key];
      if (!itemNs) continue;
      const itemPath = `${path}/${key}`;
      ctx.runner.abortSubtree(ctx, `${itemPath}/`, `array ${path} failed`);
      ctx.runner.abortNode(ctx, itemPath, itemNs, `array ${path} failed`);
      item.finish(Number(key), itemNs);
    }
  }
  arr.phases = chars.join('');
  if (Object.keys(items).length === 0) delete arr.items;
  if (arr.failures && Object.keys(arr.failures).length === 0) delete arr.failures;
  const done = arr.succeeded + arr.failed;
  if (arr.failed > allowedFailures) {
    delete arr.outputs;
    ctx.setPhase(path, ns, 'Failed', {
      message: `${arr.failed} of ${arr.size} items failed; ${block.minSuccesses !== undefined ? `minSuccesses ${block.minSuccesses}` : `minSuccessRatio ${ratio}`} needs ${required} to succeed`,
      reason: 'TooManyItemsFailed',
    });
    return;
  }
  ns.message = `${done}/${arr.size} items done, ${arr.failed} failed`;
  if (done < arr.size) return;
  const outputs = (arr.outputs ?? {}) as JsonObject;
  delete arr.outputs;
  ctx.recordOutputs(path, ns, outputs);
  ctx.setPhase(path, ns, 'Succeeded', { message: `${arr.succeeded}/${arr.size} items succeeded` });
}

interface ItemRunner {
  /** Runs one step of item `index`; true when it became terminal (and was folded in). */
  step(index: number, itemNs: NodeStatus): boolean;
  /** Folds a terminal item into the compact progress. */
  finish(index: number, itemNs: NodeStatus): void;
}

function itemRunner(
  ctx: RoundContext,
  path: string,
  itemNode: WorkflowNode,
  list: JsonValue[],
  scope: NodeRef['scope'],
  arr: ArrayStatus,
  chars: string[],
): ItemRunner {
  const finish = (index: number, itemNs: NodeStatus): void => {
    const key = String(index);
    if (itemNs.phase === 'Succeeded') {
      const outputs = ctx.readOutputs(itemNs);
      const columns = (isJsonObject(arr.outputs) ? arr.outputs : (arr.outputs = {})) as Record<string, JsonValue[]>;
      for (const [name, value] of Object.entries(outputs)) {
        const column = (columns[name] ??= new Array<JsonValue>(arr.size).fill(null));
        column[index] = value;
      }
      arr.succeeded++;
      chars[index] = ArrayItemCodes.Succeeded;
    } else {
      arr.failed++;
      (arr.failures ??= {})[key] = (itemNs.message ?? itemNs.phase).slice(0, MAX_ITEM_MESSAGE);
      chars[index] =
        itemNs.phase === 'Aborted'
          ? ArrayItemCodes.Aborted
          : itemNs.phase === 'Skipped'
            ? ArrayItemCodes.Skipped
            : ArrayItemCodes.Failed;
    }
    if (arr.items) delete arr.items[key];
    if (itemNode.kind === 'workflow') {
      const prefix = `${path}/${key}/`;
      for (const nodePath of Object.keys(ctx.nodes)) if (nodePath.startsWith(prefix)) delete ctx.nodes[nodePath];
    }
  };
  return {
    finish,
    step(index, itemNs) {
      const itemPath = `${path}/${index}`;
      const node: WorkflowNode = { ...itemNode, id: String(index) };
      ctx.runner.runNode(ctx, {
        path: itemPath,
        node,
        ns: itemNs,
        scope: { ...scope, item: { value: list[index] ?? null } },
      });
      if (isTerminalNodePhase(itemNs.phase)) {
        finish(index, itemNs);
        return true;
      }
      chars[index] = itemNs.phase === 'WaitingForRetry' ? ArrayItemCodes.WaitingForRetry : ArrayItemCodes.Running;
      return false;
    },
  };
}
