/**
 * Structure against the TypeBox schema (`src/api/schema.ts`), with TypeBox's errors mapped to
 * the validator's path style and worded for people. Duration patterns become `BadDuration`.
 */
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { DurationSchema, WorkflowSpecSchema } from '../schema.js';
import type { IssueList } from './issues.js';
import { describeValue, indexPath, keyPath, listOf, quote } from './wording.js';

/** `/nodes/3/inputs/rows` → `spec.nodes[3].inputs.rows`, using the value to tell lists from maps. */
export function pointerToPath(base: string, pointer: string, root: unknown): string {
  if (pointer === '') return base;
  let path = base;
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^[0-9]+$/.test(seg)) {
      path = indexPath(path, Number(seg));
      cur = cur[Number(seg)];
    } else {
      path = keyPath(path, seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return path;
}

function literalsOf(schema: unknown): string[] {
  const anyOf = (schema as { anyOf?: unknown } | undefined)?.anyOf;
  if (!Array.isArray(anyOf)) return [];
  return anyOf.map((s) => (s as { const?: unknown }).const).filter((c): c is string => typeof c === 'string');
}

function lastSegment(pointer: string): string {
  const parts = pointer.split('/');
  return (parts[parts.length - 1] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
}

function word(error: ValueError): string {
  const s = error.schema as Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `${quote(lastSegment(error.path))} is required`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown field ${quote(lastSegment(error.path))}; remove it or check its spelling`;
    case ValueErrorType.Union: {
      const options = literalsOf(s);
      return options.length > 0
        ? `must be one of ${listOf(options, 12)}, got ${describeValue(error.value)}`
        : `${error.message}, got ${describeValue(error.value)}`;
    }
    case ValueErrorType.String:
      return `must be a string, got ${describeValue(error.value)}`;
    case ValueErrorType.Number:
      return `must be a number, got ${describeValue(error.value)}`;
    case ValueErrorType.Integer:
      return `must be a whole number, got ${describeValue(error.value)}`;
    case ValueErrorType.Boolean:
      return `must be true or false, got ${describeValue(error.value)}`;
    case ValueErrorType.Array:
      return `must be a list, got ${describeValue(error.value)}`;
    case ValueErrorType.Object:
      return `must be an object, got ${describeValue(error.value)}`;
    case ValueErrorType.StringMinLength:
      return `must not be empty`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(s['maxLength'])} characters long`;
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${String(s['minItems'])} item(s)`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be at least ${String(s['minimum'])}, got ${describeValue(error.value)}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be at most ${String(s['maximum'])}, got ${describeValue(error.value)}`;
    default:
      return error.message;
  }
}

/** The compiled schema check: a valid spec (nearly every one) costs a fraction of `Value.Errors`. */
let compiled: TypeCheck<typeof WorkflowSpecSchema> | undefined;

/** Adds one issue per structural problem (TypeBox reports them all). */
export function checkStructure(spec: unknown, base: string, issues: IssueList): void {
  compiled ??= TypeCompiler.Compile(WorkflowSpecSchema);
  if (compiled.Check(spec)) return;
  const seenRequired = new Set<string>();
  for (const error of Value.Errors(WorkflowSpecSchema, spec)) {
    const path = pointerToPath(base, error.path, spec);
    // A missing required property also fails its type check: report it once.
    if (error.type === ValueErrorType.ObjectRequiredProperty) seenRequired.add(path);
    else if (error.value === undefined && seenRequired.has(path)) continue;
    const s = error.schema as Record<string, unknown>;
    if (error.type === ValueErrorType.StringPattern && s['pattern'] === DurationSchema.pattern) {
      issues.add(
        path,
        'BadDuration',
        `${describeValue(error.value)} is not a duration; write a number with a unit, e.g. 500ms, 90s, 10m, 1h30m, 2d`,
      );
      continue;
    }
    issues.add(path, 'SchemaViolation', word(error));
  }
}
