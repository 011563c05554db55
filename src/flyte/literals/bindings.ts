/**
 * Flyte `BindingData` (protobuf JSON) → Literal. A binding is a tree of scalars, collections and
 * maps whose leaves may be promises (outputs of upstream nodes); the translation turns each
 * promise into an engine binding and leaves a `{leaf: i}` marker in its place, so the tree can be
 * assembled once the leaves' values are known.
 */
import type { JsonObject, JsonValue } from '../../api/schema.js';
import { FlyteError } from '../errors.js';
import { collectionLiteral, isObject, mapLiteral, normalizeLiteral, type LiteralJson } from './values.js';

/** A promise as flyteidl writes it: `{nodeId, var, attrPath?}`. */
export interface PromiseJson {
  readonly nodeId: string;
  readonly var: string;
  readonly attrPath?: readonly JsonValue[];
}

/** Whether `data` (a BindingData) holds a promise anywhere. */
export function hasPromise(data: JsonValue | undefined, depth = 0): boolean {
  if (!isObject(data) || depth > 64) return false;
  if (isObject(data['promise'])) return true;
  const collection = data['collection'];
  if (isObject(collection) && Array.isArray(collection['bindings']))
    return collection['bindings'].some((b) => hasPromise(b, depth + 1));
  const map = data['map'];
  if (isObject(map) && isObject(map['bindings']))
    return Object.values(map['bindings']).some((b) => hasPromise(b, depth + 1));
  return false;
}

/** `data` with every promise replaced by `{leaf: i}` (i indexes `into`, which receives the promises). */
export function extractPromises(data: JsonObject, into: PromiseJson[], depth = 0): JsonObject {
  if (depth > 64) throw new FlyteError('BadLiteral', 'binding nested more than 64 deep');
  const out: JsonObject = { ...data };
  const promise = data['promise'];
  if (isObject(promise)) {
    if (typeof promise['nodeId'] !== 'string' || typeof promise['var'] !== 'string')
      throw new FlyteError('BadLiteral', 'a promise needs nodeId and var');
    into.push({
      nodeId: promise['nodeId'],
      var: promise['var'],
      ...(Array.isArray(promise['attrPath']) ? { attrPath: promise['attrPath'] } : {}),
    });
    delete out['promise'];
    out['leaf'] = into.length - 1;
    return out;
  }
  const collection = data['collection'];
  if (isObject(collection) && Array.isArray(collection['bindings'])) {
    out['collection'] = {
      bindings: collection['bindings'].map((b) => (isObject(b) ? extractPromises(b, into, depth + 1) : b)),
    };
  }
  const map = data['map'];
  if (isObject(map) && isObject(map['bindings'])) {
    const bindings: JsonObject = {};
    for (const [k, b] of Object.entries(map['bindings']))
      bindings[k] = isObject(b) ? extractPromises(b, into, depth + 1) : b;
    out['map'] = { bindings };
  }
  return out;
}

/** Assembles a BindingData (leaves as `{leaf: i}`) into a Literal, with `leaves[i]` the value of leaf i. */
export function bindingToLiteral(
  data: JsonValue | undefined,
  leaves: readonly JsonValue[] = [],
  depth = 0,
): LiteralJson {
  if (!isObject(data)) throw new FlyteError('BadLiteral', `a binding must be an object, got ${JSON.stringify(data)}`);
  if (depth > 64) throw new FlyteError('BadLiteral', 'binding nested more than 64 deep');
  let literal: LiteralJson;
  if (typeof data['leaf'] === 'number') {
    const value = leaves[data['leaf']];
    if (value === undefined) throw new FlyteError('BadLiteral', `binding leaf ${data['leaf']} has no value`);
    literal = normalizeLiteral(value);
  } else if (isObject(data['scalar'])) {
    literal = { scalar: data['scalar'] };
  } else if (isObject(data['collection'])) {
    const items = data['collection']['bindings'];
    literal = collectionLiteral((Array.isArray(items) ? items : []).map((b) => bindingToLiteral(b, leaves, depth + 1)));
  } else if (isObject(data['map'])) {
    const bindings = data['map']['bindings'];
    const entries: Record<string, LiteralJson> = {};
    for (const [k, b] of Object.entries(isObject(bindings) ? bindings : {}))
      entries[k] = bindingToLiteral(b, leaves, depth + 1);
    literal = mapLiteral(entries);
  } else if (isObject(data['promise'])) {
    throw new FlyteError('BadLiteral', 'a promise must be resolved before its binding is assembled');
  } else if (isObject(data['offloadedMetadata'])) {
    literal = { offloadedMetadata: data['offloadedMetadata'] };
  } else {
    throw new FlyteError('BadLiteral', `unknown binding ${JSON.stringify(data).slice(0, 200)}`);
  }
  // `union: {targetType}` beside the value wraps it in a union scalar of that type.
  const union = data['union'];
  if (isObject(union) && isObject(union['targetType']))
    return { scalar: { union: { value: literal, type: union['targetType'] } } };
  return literal;
}
