/** Binding resolution: `fromInput`, `fromNode`+`output`, `fromItem`, `value`. Pure. */
import type { Binding, JsonObject, JsonValue } from '../api/schema.js';
import type { RoundContext, Scope } from './context.js';
import { EngineError } from './errors.js';

/** Resolves one binding in `scope`; throws `EngineError('BindingFailed')` or `OutputsNotLoaded`. */
export function resolveBinding(ctx: RoundContext, scope: Scope, binding: Binding): JsonValue {
  if (Object.hasOwn(binding, 'value')) return (binding.value ?? null) as JsonValue;
  if (binding.fromInput !== undefined) {
    if (!Object.hasOwn(scope.inputs, binding.fromInput))
      throw new EngineError('BindingFailed', `input ${JSON.stringify(binding.fromInput)} is not set`);
    return scope.inputs[binding.fromInput] ?? null;
  }
  if (binding.fromNode !== undefined) {
    const path = `${scope.prefix}${binding.fromNode}`;
    const ns = ctx.status.nodes?.[path];
    if (!ns || ns.phase !== 'Succeeded')
      throw new EngineError('BindingFailed', `node ${JSON.stringify(binding.fromNode)} has not succeeded`);
    const outputs = ctx.readOutputs(ns);
    if (binding.output === undefined) return outputs;
    if (!Object.hasOwn(outputs, binding.output)) {
      throw new EngineError(
        'BindingFailed',
        `node ${JSON.stringify(binding.fromNode)} has no output ${JSON.stringify(binding.output)}`,
      );
    }
    return outputs[binding.output] ?? null;
  }
  if (binding.fromItem === true) {
    if (!scope.item) throw new EngineError('BindingFailed', 'fromItem used outside an array node');
    return scope.item.value;
  }
  throw new EngineError('BindingFailed', 'binding has none of fromInput, fromNode, fromItem, value');
}

export function resolveInputs(
  ctx: RoundContext,
  scope: Scope,
  bindings: Readonly<Record<string, Binding>> | undefined,
): JsonObject {
  const out: JsonObject = {};
  for (const [name, binding] of Object.entries(bindings ?? {})) {
    try {
      out[name] = resolveBinding(ctx, scope, binding);
    } catch (error) {
      if (error instanceof EngineError)
        throw new EngineError('BindingFailed', `input ${JSON.stringify(name)}: ${error.message}`, { cause: error });
      throw error;
    }
  }
  return out;
}
