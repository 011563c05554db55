/**
 * Flyte literals as they travel through the engine.
 *
 * The decision (docs/flyte.md, "Literals"): a value in the engine is the flyteidl `Literal` in
 * protobuf JSON (`{scalar: {primitive: {integer: "7"}}}`), kept opaque so nothing is lost (int64
 * stays a string, blobs keep their metadata, unions their type). The engine itself produces two
 * shapes of its own, which every Flyte consumer folds back with {@link normalizeLiteral}: an array
 * node's output column is a JSON list (→ a collection) with `null` for a failed item (→ none), and a
 * gate's signal is a plain JSON value (→ a primitive). Primitives are unwrapped only where a branch
 * condition compares them ({@link primitiveOf}).
 */
import type { JsonObject, JsonValue } from '../../api/schema.js';
import { FlyteError } from '../errors.js';

/** A flyteidl `Literal` in protobuf JSON. */
export type LiteralJson = JsonObject;
/** A `LiteralMap`'s `literals`: variable name → Literal. */
export type LiteralsJson = Record<string, LiteralJson>;

const LITERAL_KEYS = ['scalar', 'collection', 'map', 'offloadedMetadata'] as const;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `value` has the shape of a protobuf-JSON Literal (one of its value fields set). */
export function isLiteral(value: unknown): value is LiteralJson {
  return isObject(value) && LITERAL_KEYS.some((k) => isObject(value[k]));
}

export const noneLiteral = (): LiteralJson => ({ scalar: { noneType: {} } });
export const integerLiteral = (n: bigint | number | string): LiteralJson => ({
  scalar: { primitive: { integer: String(n) } },
});
export const floatLiteral = (n: number): LiteralJson => ({ scalar: { primitive: { floatValue: n } } });
export const stringLiteral = (s: string): LiteralJson => ({ scalar: { primitive: { stringValue: s } } });
export const booleanLiteral = (b: boolean): LiteralJson => ({ scalar: { primitive: { boolean: b } } });
export const collectionLiteral = (items: LiteralJson[]): LiteralJson => ({ collection: { literals: items } });
export const mapLiteral = (entries: LiteralsJson): LiteralJson => ({ map: { literals: entries } });

/**
 * Any engine value as a Literal: a Literal stays as it is; a JSON list becomes a collection of
 * normalised items; `null` becomes none; booleans, integers, other numbers and strings become
 * primitives; any other object becomes a `generic` (Struct) scalar.
 */
export function normalizeLiteral(value: JsonValue | undefined, depth = 0): LiteralJson {
  if (depth > 64) throw new FlyteError('BadLiteral', 'value nested more than 64 deep');
  if (value === null || value === undefined) return noneLiteral();
  if (Array.isArray(value)) return collectionLiteral(value.map((v) => normalizeLiteral(v, depth + 1)));
  if (typeof value === 'boolean') return booleanLiteral(value);
  if (typeof value === 'number') return Number.isInteger(value) ? integerLiteral(value) : floatLiteral(value);
  if (typeof value === 'string') return stringLiteral(value);
  if (isLiteral(value)) return value;
  return { scalar: { generic: value } };
}

/** Every value of an engine input object as a Literal. */
export function normalizeLiterals(values: Readonly<Record<string, JsonValue>>): LiteralsJson {
  const out: LiteralsJson = {};
  for (const [name, value] of Object.entries(values)) out[name] = normalizeLiteral(value);
  return out;
}

/** A primitive as a branch condition compares it. */
export type PrimitiveValue =
  | { readonly kind: 'integer'; readonly value: bigint }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  /** ms since the epoch (nanoseconds beyond ms are dropped). */
  | { readonly kind: 'datetime'; readonly value: number }
  /** ms. */
  | { readonly kind: 'duration'; readonly value: number }
  | { readonly kind: 'none' };

/** A `Primitive` in protobuf JSON (`{integer: "7"}`, `{floatValue: 1.5}`, ...) as a {@link PrimitiveValue}. */
export function primitiveFromJson(p: JsonObject): PrimitiveValue {
  if (typeof p['integer'] === 'string' || typeof p['integer'] === 'number') {
    try {
      return { kind: 'integer', value: BigInt(p['integer']) };
    } catch (error) {
      throw new FlyteError('BadLiteral', `integer ${JSON.stringify(p['integer'])} is not an integer`, { cause: error });
    }
  }
  if (p['floatValue'] !== undefined) {
    const f = p['floatValue'];
    // protobuf JSON writes NaN and the infinities as strings.
    const n = typeof f === 'number' ? f : typeof f === 'string' ? Number(f) : NaN;
    return { kind: 'float', value: n };
  }
  if (typeof p['stringValue'] === 'string') return { kind: 'string', value: p['stringValue'] };
  if (typeof p['boolean'] === 'boolean') return { kind: 'boolean', value: p['boolean'] };
  if (typeof p['datetime'] === 'string') {
    const ms = Date.parse(p['datetime']);
    if (Number.isNaN(ms))
      throw new FlyteError('BadLiteral', `datetime ${JSON.stringify(p['datetime'])} is not RFC 3339`);
    return { kind: 'datetime', value: ms };
  }
  if (typeof p['duration'] === 'string') {
    const m = /^(-?\d+(?:\.\d+)?)s$/.exec(p['duration']);
    if (!m?.[1])
      throw new FlyteError('BadLiteral', `duration ${JSON.stringify(p['duration'])} is not a protobuf duration`);
    return { kind: 'duration', value: Number(m[1]) * 1000 };
  }
  // Every field at its default is omitted in protobuf JSON: an empty primitive is integer 0 at best guess.
  if (Object.keys(p).length === 0) return { kind: 'integer', value: 0n };
  throw new FlyteError('BadLiteral', `unknown primitive ${JSON.stringify(p)}`);
}

/** The primitive inside a Literal (through a union), for comparisons; throws `BadLiteral` for anything else. */
export function primitiveOf(literal: JsonValue | undefined, depth = 0): PrimitiveValue {
  const lit = normalizeLiteral(literal);
  const scalar = lit['scalar'];
  if (!isObject(scalar) || depth > 16)
    throw new FlyteError('BadLiteral', `not a primitive: ${JSON.stringify(lit).slice(0, 200)}`);
  if (isObject(scalar['primitive'])) return primitiveFromJson(scalar['primitive']);
  if (isObject(scalar['noneType'])) return { kind: 'none' };
  const union = scalar['union'];
  if (isObject(union) && isObject(union['value'])) return primitiveOf(union['value'], depth + 1);
  throw new FlyteError('BadLiteral', `not a primitive: ${JSON.stringify(lit).slice(0, 200)}`);
}

/** A short text form of a Literal for command templates (`{{.inputs.x}}`), as FlytePropeller renders them. */
export function literalToTemplateString(literal: LiteralJson): string {
  const collection = literal['collection'];
  if (isObject(collection)) {
    const items = Array.isArray(collection['literals']) ? collection['literals'] : [];
    return `[${items.map((l) => literalToTemplateString(normalizeLiteral(l))).join(',')}]`;
  }
  const scalar = literal['scalar'];
  if (!isObject(scalar)) throw new FlyteError('BadLiteral', 'only scalars and collections render into a template');
  for (const key of ['blob', 'schema'] as const) {
    const v = scalar[key];
    if (isObject(v) && typeof v['uri'] === 'string') return v['uri'];
  }
  const p = primitiveOf(literal);
  switch (p.kind) {
    case 'integer':
      return p.value.toString();
    case 'datetime':
      return new Date(p.value).toISOString();
    case 'duration':
      return `${p.value / 1000}s`;
    case 'none':
      return '';
    default:
      return String(p.value);
  }
}
