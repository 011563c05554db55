/**
 * The pure literal steps the translation adds (`flyte-literal` plugin): assemble a binding tree,
 * pick a branch case, split an array node's inputs into items. Inputs and outputs are engine
 * values (Literal JSON, normalised on the way in). Throws `FlyteError` for what cannot be done.
 */
import type { JsonObject, JsonValue } from '../api/schema.js';
import { FlyteError } from './errors.js';
import { firstTrueCondition } from './expressions.js';
import { bindingToLiteral } from './literals/bindings.js';
import { isObject, normalizeLiterals, type LiteralsJson } from './literals/values.js';
import type { LiteralStepConfig } from './translate/contract.js';

export function runLiteralStep(config: LiteralStepConfig, inputs: Readonly<Record<string, JsonValue>>): JsonObject {
  switch (config.op) {
    case 'assemble': {
      const leaves: JsonValue[] = [];
      for (const [name, value] of Object.entries(inputs)) {
        const m = /^l(\d+)$/.exec(name);
        if (m?.[1] !== undefined) leaves[Number(m[1])] = value;
      }
      return { value: bindingToLiteral(config.binding, leaves) };
    }
    case 'branch':
      return { case: firstTrueCondition(config.conditions, normalizeLiterals(inputs)) };
    case 'split':
      return splitItems(normalizeLiterals(inputs), config.bound);
  }
}

/** Per-item literal maps: every input not in `bound` is a collection, split by index; bound inputs go whole to every item. */
export function splitItems(inputs: LiteralsJson, bound: readonly string[]): { items: JsonObject[]; size: number } {
  const lists = new Map<string, JsonValue[]>();
  for (const [name, literal] of Object.entries(inputs)) {
    if (bound.includes(name)) continue;
    const collection = literal['collection'];
    if (!isObject(collection) || !Array.isArray(collection['literals']))
      throw new FlyteError(
        'BadLiteral',
        `array input ${JSON.stringify(name)} is not a collection (bind it whole with BoundInputs)`,
      );
    lists.set(name, collection['literals']);
  }
  if (lists.size === 0)
    throw new FlyteError('BadLiteral', 'an array node needs at least one collection input to map over');
  const sizes = new Set([...lists.values()].map((l) => l.length));
  if (sizes.size > 1)
    throw new FlyteError(
      'BadLiteral',
      `array inputs have different lengths: ${[...lists].map(([n, l]) => `${n}=${l.length}`).join(', ')}`,
    );
  const size = [...sizes][0] ?? 0;
  const items: JsonObject[] = [];
  for (let i = 0; i < size; i++) {
    const item: JsonObject = {};
    for (const [name, literal] of Object.entries(inputs))
      item[name] = bound.includes(name) ? literal : (lists.get(name)?.[i] ?? null);
    items.push(item);
  }
  return { items, size };
}
