/**
 * Flyte branch conditions: `BooleanExpression` (protobuf JSON) over the branch node's input
 * literals. Comparison operators EQ (default), NEQ, GT, GTE, LT, LTE; conjunctions AND (default),
 * OR. Operands are `{var}` (a branch input), `{scalar}` or the deprecated `{primitive}`.
 * Integers compare exactly (BigInt); an integer and a float compare as numbers, as flyteidl's
 * Go comparator does; strings, booleans (EQ/NEQ), datetimes and durations compare within their
 * kind; none equals only none. Anything else is a `BadCondition` error, never a guess. Pure.
 */
import type { JsonObject, JsonValue } from '../api/schema.js';
import { FlyteError } from './errors.js';
import { isObject, primitiveFromJson, primitiveOf, type LiteralsJson, type PrimitiveValue } from './literals/values.js';

const MAX_DEPTH = 64;

export function evaluateBooleanExpression(expr: JsonValue | undefined, inputs: LiteralsJson, depth = 0): boolean {
  if (!isObject(expr)) throw new FlyteError('BadCondition', 'a condition must be a BooleanExpression object');
  if (depth > MAX_DEPTH) throw new FlyteError('BadCondition', `condition nested more than ${MAX_DEPTH} deep`);
  const conjunction = expr['conjunction'];
  if (isObject(conjunction)) {
    const op = conjunction['operator'] ?? 'AND';
    const left = evaluateBooleanExpression(conjunction['leftExpression'], inputs, depth + 1);
    if (op === 'AND' || op === 0)
      return left && evaluateBooleanExpression(conjunction['rightExpression'], inputs, depth + 1);
    if (op === 'OR' || op === 1)
      return left || evaluateBooleanExpression(conjunction['rightExpression'], inputs, depth + 1);
    throw new FlyteError('BadCondition', `unknown conjunction operator ${JSON.stringify(op)}`);
  }
  const comparison = expr['comparison'];
  if (isObject(comparison)) return compareOperands(comparison, inputs);
  throw new FlyteError('BadCondition', 'a BooleanExpression needs a comparison or a conjunction');
}

const OPERATORS = ['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE'] as const;
type Operator = (typeof OPERATORS)[number];

function operatorOf(raw: JsonValue | undefined): Operator {
  if (raw === undefined) return 'EQ';
  if (typeof raw === 'number' && OPERATORS[raw] !== undefined) return OPERATORS[raw];
  if (typeof raw === 'string' && (OPERATORS as readonly string[]).includes(raw)) return raw as Operator;
  throw new FlyteError('BadCondition', `unknown comparison operator ${JSON.stringify(raw)}`);
}

function operand(raw: JsonValue | undefined, inputs: LiteralsJson): PrimitiveValue {
  if (!isObject(raw)) throw new FlyteError('BadCondition', 'a comparison needs leftValue and rightValue');
  if (typeof raw['var'] === 'string') {
    const name = raw['var'];
    const value = inputs[name] ?? inputs[name.replace(/^\./, '')];
    if (value === undefined)
      throw new FlyteError('BadCondition', `condition variable ${JSON.stringify(name)} is not an input of the branch`);
    return primitiveOf(value);
  }
  if (isObject(raw['scalar'])) return primitiveOf({ scalar: raw['scalar'] });
  if (isObject(raw['primitive'])) return primitiveFromJson(raw['primitive']);
  throw new FlyteError('BadCondition', `unknown operand ${JSON.stringify(raw).slice(0, 200)}`);
}

function order(a: PrimitiveValue, b: PrimitiveValue): number | 'unordered' {
  if (a.kind === 'integer' && b.kind === 'integer') return a.value === b.value ? 0 : a.value < b.value ? -1 : 1;
  const num = (p: PrimitiveValue): number | undefined =>
    p.kind === 'integer' ? Number(p.value) : p.kind === 'float' ? p.value : undefined;
  const x = num(a);
  const y = num(b);
  if (x !== undefined && y !== undefined) return x === y ? 0 : x < y ? -1 : 1;
  if (
    (a.kind === 'string' && b.kind === 'string') ||
    (a.kind === 'datetime' && b.kind === 'datetime') ||
    (a.kind === 'duration' && b.kind === 'duration')
  ) {
    return a.value === b.value ? 0 : a.value < b.value ? -1 : 1;
  }
  if (a.kind === 'boolean' && b.kind === 'boolean') return a.value === b.value ? 0 : 'unordered';
  if (a.kind === 'none' || b.kind === 'none') return a.kind === b.kind ? 0 : 'unordered';
  throw new FlyteError('BadCondition', `cannot compare a ${a.kind} with a ${b.kind}`);
}

function compareOperands(comparison: JsonObject, inputs: LiteralsJson): boolean {
  const op = operatorOf(comparison['operator']);
  const left = operand(comparison['leftValue'], inputs);
  const right = operand(comparison['rightValue'], inputs);
  const o = order(left, right);
  if (o === 'unordered') {
    if (op === 'EQ') return false;
    if (op === 'NEQ') return true;
    throw new FlyteError('BadCondition', `${op} does not apply to ${left.kind} and ${right.kind}`);
  }
  switch (op) {
    case 'EQ':
      return o === 0;
    case 'NEQ':
      return o !== 0;
    case 'GT':
      return o > 0;
    case 'GTE':
      return o >= 0;
    case 'LT':
      return o < 0;
    case 'LTE':
      return o <= 0;
  }
}

/** The index of the first condition that holds, or -1 (the branch then takes `else` or fails). */
export function firstTrueCondition(conditions: readonly JsonValue[], inputs: LiteralsJson): number {
  return conditions.findIndex((c) => evaluateBooleanExpression(c, inputs));
}
