/**
 * The stand-in for a Flyte container: what `flotilla run` (and the sandbox's kubelet) do instead
 * of running `pyflyte-execute`. Given a task's interface and its input literals it produces the
 * task's declared outputs by fixed rules, or a failure, deterministically. Pure: the caller reads
 * inputs.pb and writes outputs.pb / error.pb / futures.pb (docs/flyte.md, "The stand-in").
 *
 * Rules per declared output type:
 * - INTEGER: the sum of the integer inputs (collections included); without any, a number 0–999
 *   from a hash of `<task>/<output>`. FLOAT: the same sum over integers and floats, else the hash / 8.
 * - STRING: `<task name>-<output>`; BOOLEAN: true; DATETIME: 2000-01-01T00:00:00Z; DURATION: 0s;
 *   NONE: none; STRUCT: `{}`.
 * - collection: as many items as the first collection input has (2 without one), each by its type
 *   (strings get `-<i>`); map: one entry keyed by the output name; union: its first variant; enum:
 *   its first value; blob, schema, structured dataset: a URI `<raw output prefix>/<output>`.
 *
 * Overrides: the FlyteWorkflow annotation `flotilla.io/flyte-stand-in` holds a JSON object whose
 * keys select nodes — a node path (`n1`, `n0/n0-n1` for a branch case, `sub/n0` inside a
 * sub-workflow, `n0/2` for item 2 of array `n0`), a node id, or `task:<task name>` — first match in
 * that order, and whose values are {@link StandInBehaviour}.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../../api/schema.js';
import { FlyteError } from '../errors.js';
import type { ContainerFailure } from '../literals/codec.js';
import {
  collectionLiteral,
  integerLiteral,
  floatLiteral,
  isObject,
  mapLiteral,
  noneLiteral,
  normalizeLiteral,
  stringLiteral,
  booleanLiteral,
  type LiteralJson,
  type LiteralsJson,
} from '../literals/values.js';

/** The annotation that overrides the stand-in's behaviour per node or task. */
export const STAND_IN_ANNOTATION = 'flotilla.io/flyte-stand-in';

/** What the stand-in does for the nodes a selector picks. */
export interface StandInBehaviour {
  /** Output values by name: a Literal in protobuf JSON, or a plain JSON value (normalised). Others follow the rules. */
  readonly outputs?: Readonly<Record<string, JsonValue>>;
  /** Fail instead of producing outputs (writes error.pb). */
  readonly fail?: {
    /** @defaultValue 'user' */
    readonly origin?: 'user' | 'system';
    /** RECOVERABLE (retried within the budget of its origin) or not. @defaultValue false */
    readonly recoverable?: boolean;
    /** @defaultValue `USER:StandInFailure` or `SYSTEM:StandInFailure` */
    readonly code?: string;
    readonly message?: string;
    /** Fail only the first this many attempts, then succeed. @defaultValue every attempt */
    readonly attempts?: number;
  };
  /** Write futures.pb, as a dynamic task does. */
  readonly futures?: boolean;
}

/** One selector and its behaviour. */
export interface StandInRule extends StandInBehaviour {
  readonly selector: string;
}

/** Parses the annotation's value; throws `FlyteError('BadStandIn')` naming what is wrong. */
export function parseStandInRules(text: string | undefined): StandInRule[] {
  if (text === undefined || text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FlyteError(
      'BadStandIn',
      `annotation ${STAND_IN_ANNOTATION} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (!isObject(parsed))
    throw new FlyteError(
      'BadStandIn',
      `annotation ${STAND_IN_ANNOTATION} must be a JSON object of selector → behaviour`,
    );
  const rules: StandInRule[] = [];
  for (const [selector, body] of Object.entries(parsed)) {
    if (!isObject(body))
      throw new FlyteError(
        'BadStandIn',
        `annotation ${STAND_IN_ANNOTATION}: ${JSON.stringify(selector)} must map to an object`,
      );
    const fail = body['fail'];
    if (fail !== undefined && !isObject(fail))
      throw new FlyteError('BadStandIn', `annotation ${STAND_IN_ANNOTATION}: ${selector}.fail must be an object`);
    if (isObject(fail)) {
      if (fail['origin'] !== undefined && fail['origin'] !== 'user' && fail['origin'] !== 'system')
        throw new FlyteError(
          'BadStandIn',
          `annotation ${STAND_IN_ANNOTATION}: ${selector}.fail.origin must be user or system`,
        );
      if (fail['attempts'] !== undefined && (typeof fail['attempts'] !== 'number' || fail['attempts'] < 0))
        throw new FlyteError(
          'BadStandIn',
          `annotation ${STAND_IN_ANNOTATION}: ${selector}.fail.attempts must be a number ≥ 0`,
        );
    }
    if (body['outputs'] !== undefined && !isObject(body['outputs']))
      throw new FlyteError('BadStandIn', `annotation ${STAND_IN_ANNOTATION}: ${selector}.outputs must be an object`);
    rules.push({ selector, ...(body as StandInBehaviour) });
  }
  return rules;
}

/** The rules that may apply to a node at `path` (array items are `path/<i>`) running `taskName`. */
export function rulesFor(rules: readonly StandInRule[], path: string, nodeId: string, taskName: string): StandInRule[] {
  return rules.filter(
    (r) =>
      r.selector === path ||
      r.selector.startsWith(`${path}/`) ||
      r.selector === nodeId ||
      r.selector === `task:${taskName}`,
  );
}

/** The behaviour for a node at `path` (first match: path, node id, task). */
export function behaviourFor(
  rules: readonly StandInRule[],
  path: string,
  nodeId: string,
  taskName: string,
): StandInBehaviour | undefined {
  return (
    rules.find((r) => r.selector === path) ??
    rules.find((r) => r.selector === nodeId) ??
    rules.find((r) => r.selector === `task:${taskName}`)
  );
}

export type StandInResult =
  | { readonly kind: 'outputs'; readonly literals: LiteralsJson }
  | { readonly kind: 'error'; readonly failure: ContainerFailure }
  | { readonly kind: 'futures' };

export interface StandInInput {
  /** The TaskTemplate (protobuf JSON); its `interface.outputs` says what to produce. */
  readonly template: JsonObject;
  readonly taskName: string;
  readonly inputs: LiteralsJson;
  /** 1-based attempt. */
  readonly attempt: number;
  /** The node's path (selectors match it). */
  readonly path: string;
  readonly nodeId: string;
  readonly rules: readonly StandInRule[];
  /** Prefix for the URIs of blob-like outputs. */
  readonly rawOutputPrefix: string;
}

export function runStandIn(input: StandInInput): StandInResult {
  const behaviour = behaviourFor(input.rules, input.path, input.nodeId, input.taskName);
  const fail = behaviour?.fail;
  if (fail && (fail.attempts === undefined || input.attempt <= fail.attempts)) {
    const origin = fail.origin ?? 'user';
    return {
      kind: 'error',
      failure: {
        code: fail.code ?? `${origin.toUpperCase()}:StandInFailure`,
        message: fail.message ?? `stand-in failure of ${input.path} (attempt ${input.attempt})`,
        recoverable: fail.recoverable ?? false,
        origin,
      },
    };
  }
  if (behaviour?.futures === true) return { kind: 'futures' };
  const declared = declaredOutputs(input.template);
  const literals: LiteralsJson = {};
  for (const [name, type] of Object.entries(declared)) {
    const override = behaviour?.outputs?.[name];
    literals[name] = override !== undefined ? normalizeLiteral(override) : valueFor(type, name, input, 0);
  }
  return { kind: 'outputs', literals };
}

/** `interface.outputs.variables`: output name → LiteralType (protobuf JSON). */
export function declaredOutputs(template: JsonObject): Record<string, JsonObject> {
  const iface = template['interface'];
  const outputs = isObject(iface) ? iface['outputs'] : undefined;
  const variables = isObject(outputs) ? outputs['variables'] : undefined;
  const out: Record<string, JsonObject> = {};
  if (isObject(variables))
    for (const [name, v] of Object.entries(variables)) out[name] = isObject(v) && isObject(v['type']) ? v['type'] : {};
  return out;
}

function hashNumber(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) % 1000;
}

function sumInputs(inputs: LiteralsJson, floats: boolean): { sum: number; int: bigint; any: boolean } {
  const acc = { sum: 0, int: 0n, any: false };
  const visit = (lit: JsonValue | undefined, depth: number): void => {
    if (!isObject(lit) || depth > 16) return;
    const collection = lit['collection'];
    if (isObject(collection) && Array.isArray(collection['literals']))
      for (const l of collection['literals']) visit(l, depth + 1);
    const scalar = lit['scalar'];
    const p = isObject(scalar) ? scalar['primitive'] : undefined;
    if (!isObject(p)) return;
    if (typeof p['integer'] === 'string' && /^-?\d+$/.test(p['integer'])) {
      acc.int += BigInt(p['integer']);
      acc.sum += Number(p['integer']);
      acc.any = true;
    } else if (floats && typeof p['floatValue'] === 'number') {
      acc.sum += p['floatValue'];
      acc.any = true;
    }
  };
  for (const lit of Object.values(inputs)) visit(lit, 0);
  return acc;
}

function firstCollectionSize(inputs: LiteralsJson): number | undefined {
  for (const lit of Object.values(inputs)) {
    const c = lit['collection'];
    if (isObject(c) && Array.isArray(c['literals'])) return c['literals'].length;
  }
  return undefined;
}

const SIMPLE_RULES: Record<string, (name: string, input: StandInInput) => LiteralJson> = {
  INTEGER: (name, input) => {
    const s = sumInputs(input.inputs, false);
    return integerLiteral(s.any ? s.int : BigInt(hashNumber(`${input.taskName}/${name}`)));
  },
  FLOAT: (name, input) => {
    const s = sumInputs(input.inputs, true);
    return floatLiteral(s.any ? s.sum : hashNumber(`${input.taskName}/${name}`) / 8);
  },
  STRING: (name, input) => stringLiteral(`${input.taskName}-${name}`),
  BOOLEAN: () => booleanLiteral(true),
  DATETIME: () => ({ scalar: { primitive: { datetime: '2000-01-01T00:00:00Z' } } }),
  DURATION: () => ({ scalar: { primitive: { duration: '0s' } } }),
  NONE: () => noneLiteral(),
  STRUCT: () => ({ scalar: { generic: {} } }),
};

function valueFor(type: JsonObject, name: string, input: StandInInput, depth: number): LiteralJson {
  if (depth > 8) return noneLiteral();
  const uri = `${input.rawOutputPrefix}/${name}`;
  if (typeof type['simple'] === 'string') return (SIMPLE_RULES[type['simple']] ?? (() => noneLiteral()))(name, input);
  if (isObject(type['collectionType'])) {
    const inner = type['collectionType'];
    const size = firstCollectionSize(input.inputs) ?? 2;
    return collectionLiteral(
      Array.from({ length: size }, (_, i) => {
        const item = valueFor(inner, name, input, depth + 1);
        const s = item['scalar'];
        const p = isObject(s) ? s['primitive'] : undefined;
        return isObject(p) && typeof p['stringValue'] === 'string' ? stringLiteral(`${p['stringValue']}-${i}`) : item;
      }),
    );
  }
  if (isObject(type['mapValueType']))
    return mapLiteral({ [name]: valueFor(type['mapValueType'], name, input, depth + 1) });
  if (isObject(type['unionType'])) {
    const variants = type['unionType']['variants'];
    const first = Array.isArray(variants) ? variants[0] : undefined;
    return isObject(first)
      ? { scalar: { union: { value: valueFor(first, name, input, depth + 1), type: first } } }
      : noneLiteral();
  }
  if (isObject(type['enumType'])) {
    const values = type['enumType']['values'];
    return stringLiteral(Array.isArray(values) && typeof values[0] === 'string' ? values[0] : '');
  }
  if (isObject(type['blob'])) return { scalar: { blob: { metadata: { type: type['blob'] }, uri } } };
  if (isObject(type['schema'])) return { scalar: { schema: { uri, type: type['schema'] } } };
  if (isObject(type['structuredDatasetType']))
    return {
      scalar: { structuredDataset: { uri, metadata: { structuredDatasetType: type['structuredDatasetType'] } } },
    };
  return noneLiteral();
}
