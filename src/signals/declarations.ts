/**
 * Pure signal logic: which signals a Workflow's gates declare, whether a value fits a declared
 * type, and the conversions between JSON values, CLI text and the wire `SignalValue`.
 *
 * A `gate.signal {name, type}` declares `name` with `type`; a `gate.approve {name?}` declares a
 * boolean signal named `name`, or the gate node's id when unset. Gates are found everywhere a
 * node can be: the node list, branch cases and else, array nodes, sub-workflows and onFailure.
 */
import type { JsonValue, SignalType, WorkflowNode, WorkflowSpec } from '../api/schema.js';
import type { SignalRecord } from '../api/signals.js';
import * as pb from '../generated/flotilla/signals/v1/signals.js';
import { SignalError } from './errors.js';

export interface SignalDeclaration {
  readonly name: string;
  readonly type: SignalType;
  /** The id of the gate node that waits for it. */
  readonly nodeId: string;
}

/** A declared signal with its current annotation, if any. */
export interface SignalState extends SignalDeclaration {
  readonly record?: SignalRecord;
}

function visit(node: WorkflowNode | undefined, out: SignalDeclaration[]): void {
  if (!node) return;
  const gate = node.gate;
  if (node.kind === 'gate' && gate) {
    if (gate.signal) out.push({ name: gate.signal.name, type: gate.signal.type, nodeId: node.id ?? '' });
    else if (gate.approve) {
      const name = gate.approve.name ?? node.id;
      if (name) out.push({ name, type: 'boolean', nodeId: node.id ?? name });
    }
  }
  for (const c of node.branch?.cases ?? []) visit(c.node, out);
  visit(node.branch?.else?.node, out);
  visit(node.array?.node, out);
}

/** Every signal the spec declares, in spec order, first declaration of a name winning. */
export function declaredSignals(spec: Partial<WorkflowSpec>): SignalDeclaration[] {
  const found: SignalDeclaration[] = [];
  for (const node of spec.nodes ?? []) visit(node, found);
  for (const sub of Object.values(spec.subWorkflows ?? {})) for (const node of sub.nodes) visit(node, found);
  visit(spec.onFailure, found);
  const seen = new Set<string>();
  return found.filter((d) => (seen.has(d.name) ? false : (seen.add(d.name), true)));
}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && !Number.isInteger(value)) return `the number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Returns `value` when it fits `decl.type`; throws `SignalError('InvalidValue')` otherwise. */
export function checkSignalValue(decl: SignalDeclaration, value: JsonValue): JsonValue {
  const fits =
    decl.type === 'json' ||
    (decl.type === 'boolean' && typeof value === 'boolean') ||
    (decl.type === 'string' && typeof value === 'string') ||
    (decl.type === 'number' && typeof value === 'number' && Number.isFinite(value)) ||
    (decl.type === 'integer' && typeof value === 'number' && Number.isSafeInteger(value));
  if (!fits)
    throw new SignalError(
      'InvalidValue',
      `signal "${decl.name}" (gate ${decl.nodeId}) expects a ${decl.type} value, got ${describe(value)}`,
    );
  return value;
}

/**
 * Reads a CLI VALUE: JSON when it parses, else the text as a string. For a `string` signal the
 * text is taken as it is unless it is a quoted JSON string (so `flotilla signal ... name 123`
 * sets the string "123").
 */
export function parseCliValue(text: string, type?: SignalType): JsonValue {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
  if (type === 'string' && typeof parsed !== 'string') return text;
  return parsed;
}

const typeToPb: Record<SignalType, pb.SignalType> = {
  boolean: pb.SignalType.SIGNAL_TYPE_BOOLEAN,
  string: pb.SignalType.SIGNAL_TYPE_STRING,
  number: pb.SignalType.SIGNAL_TYPE_NUMBER,
  integer: pb.SignalType.SIGNAL_TYPE_INTEGER,
  json: pb.SignalType.SIGNAL_TYPE_JSON,
};

export function signalTypeToPb(type: SignalType): pb.SignalType {
  return typeToPb[type];
}

export function signalTypeFromPb(type: pb.SignalType): SignalType | undefined {
  return (Object.keys(typeToPb) as SignalType[]).find((t) => typeToPb[t] === type);
}

/** The wire form of a value, in the kind matching the declared type (json otherwise). */
export function valueToPb(value: JsonValue, type: SignalType): pb.SignalValue {
  if (type === 'boolean' && typeof value === 'boolean') return { kind: { $case: 'boolValue', boolValue: value } };
  if (type === 'string' && typeof value === 'string') return { kind: { $case: 'stringValue', stringValue: value } };
  if (type === 'integer' && typeof value === 'number' && Number.isSafeInteger(value))
    return { kind: { $case: 'integerValue', integerValue: value } };
  if (type === 'number' && typeof value === 'number') return { kind: { $case: 'numberValue', numberValue: value } };
  return { kind: { $case: 'jsonValue', jsonValue: JSON.stringify(value) } };
}

/** The JSON value of a wire value; throws `SignalError('InvalidValue')` when empty or bad JSON. */
export function valueFromPb(value: pb.SignalValue | undefined): JsonValue {
  const kind = value?.kind;
  if (!kind) throw new SignalError('InvalidValue', 'a value is required');
  switch (kind.$case) {
    case 'boolValue':
      return kind.boolValue;
    case 'stringValue':
      return kind.stringValue;
    case 'numberValue':
      return kind.numberValue;
    case 'integerValue':
      return kind.integerValue;
    case 'jsonValue':
      try {
        return JSON.parse(kind.jsonValue) as JsonValue;
      } catch (cause) {
        throw new SignalError('InvalidValue', 'json_value is not valid JSON', { cause });
      }
  }
}

export function stateToPb(state: SignalState): pb.Signal {
  return {
    name: state.name,
    type: signalTypeToPb(state.type),
    nodeId: state.nodeId,
    set: state.record !== undefined,
    value: state.record ? valueToPb(state.record.value, state.type) : undefined,
    setAt: state.record?.setAt ?? '',
    setBy: state.record?.setBy ?? '',
  };
}
