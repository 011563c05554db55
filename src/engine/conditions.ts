/** Branch conditions: comparisons over numbers, strings, booleans, timestamps and durations; and/or/not. Pure. */
import type { ComparisonOp, ComparisonType, Condition, JsonValue } from '../api/schema.js';
import { resolveBinding } from './bindings.js';
import type { RoundContext, Scope } from './context.js';
import { parseDuration } from '../api/duration.js';
import { EngineError } from './errors.js';

export function evaluateCondition(ctx: RoundContext, scope: Scope, condition: Condition, depth = 0): boolean {
  if (depth > 64) throw new EngineError('InvalidSpec', 'condition nested too deeply');
  if (condition.and) return condition.and.every((c) => evaluateCondition(ctx, scope, c, depth + 1));
  if (condition.or) return condition.or.some((c) => evaluateCondition(ctx, scope, c, depth + 1));
  if (condition.not) return !evaluateCondition(ctx, scope, condition.not, depth + 1);
  if (!condition.left || !condition.right || !condition.op)
    throw new EngineError('InvalidSpec', 'a comparison needs left, op and right');
  const left = resolveBinding(ctx, scope, condition.left);
  const right = resolveBinding(ctx, scope, condition.right);
  return compare(left, condition.op, right, condition.as);
}

function coerce(value: JsonValue, as: ComparisonType): number | string | boolean {
  switch (as) {
    case 'number':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      break;
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    case 'timestamp':
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
      break;
    case 'duration':
      if (typeof value === 'number') return value;
      if (typeof value === 'string') {
        const ms = parseDuration(value);
        if (ms === undefined)
          throw new EngineError(
            'InvalidDuration',
            `invalid duration ${JSON.stringify(value)} (use e.g. 150ms, 90s, 1h30m, 2d)`,
          );
        return ms;
      }
      break;
  }
  throw new EngineError('BindingFailed', `cannot compare ${JSON.stringify(value)} as ${as}`);
}

function inferType(left: JsonValue, right: JsonValue): ComparisonType | undefined {
  if (typeof left === 'number' && typeof right === 'number') return 'number';
  if (typeof left === 'string' && typeof right === 'string') return 'string';
  if (typeof left === 'boolean' && typeof right === 'boolean') return 'boolean';
  return undefined;
}

export function compare(left: JsonValue, op: ComparisonOp, right: JsonValue, as?: ComparisonType): boolean {
  const type = as ?? inferType(left, right);
  if (type === undefined) {
    if (op === 'eq') return JSON.stringify(left) === JSON.stringify(right);
    if (op === 'neq') return JSON.stringify(left) !== JSON.stringify(right);
    throw new EngineError(
      'BindingFailed',
      `cannot order ${JSON.stringify(left)} and ${JSON.stringify(right)} (give \`as\`)`,
    );
  }
  const a = coerce(left, type);
  const b = coerce(right, type);
  if (type === 'boolean' && op !== 'eq' && op !== 'neq')
    throw new EngineError('BindingFailed', `booleans support only eq and neq, not ${op}`);
  switch (op) {
    case 'eq':
      return a === b;
    case 'neq':
      return a !== b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
  }
  return false;
}
