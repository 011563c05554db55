/**
 * Branch conditions: each is a comparison (`left op right`, optional `as`) or exactly one of
 * `and` / `or` / `not`; nesting is bounded; operand types must agree when both are known.
 */
import type { BindingSite } from './bindings.js';
import { checkBinding } from './bindings.js';
import type { CheckContext } from './context.js';
import { parseDuration } from '../duration.js';
import { isRecord, str } from './model.js';
import type { VType } from './outputs.js';
import { indexPath, quote } from './wording.js';

const ORDERED = new Set(['gt', 'gte', 'lt', 'lte']);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

function base(t: VType): VType {
  return t === 'timestamp' || t === 'duration' ? 'string' : t;
}

function article(t: VType): string {
  if (t === 'null') return 'null';
  return t === 'object' ? 'an object' : `a ${t}`;
}

function literal(binding: unknown): { has: boolean; value: unknown } {
  return isRecord(binding) && 'value' in binding
    ? { has: true, value: binding['value'] }
    : { has: false, value: undefined };
}

function checkTypes(ctx: CheckContext, cond: Record<string, unknown>, path: string, site: BindingSite): void {
  const op = str(cond['op']);
  const as = str(cond['as']);
  const sides = [cond['left'], cond['right']];
  const types = sides.map((b) => ctx.inference.typeOf(b, site.scope));
  const [lt = 'unknown', rt = 'unknown'] = types;
  if (as !== undefined) {
    sides.forEach((b, i) => {
      const t = types[i] ?? 'unknown';
      const side = i === 0 ? 'left' : 'right';
      const lit = literal(b);
      const wrong = (why: string): void =>
        ctx.issues.add(`${path}.${side}`, 'TypeMismatch', `compared as ${as}, but ${side} ${why}`);
      if (as === 'number' && t !== 'unknown' && t !== 'number') wrong(`is ${article(t)}`);
      else if (as === 'boolean' && t !== 'unknown' && t !== 'boolean') wrong(`is ${article(t)}`);
      else if (as === 'string' && t !== 'unknown' && base(t) !== 'string') wrong(`is ${article(t)}`);
      else if (as === 'timestamp' || as === 'duration') {
        if (t === 'boolean' || t === 'list' || t === 'object' || t === 'null') wrong(`is ${article(t)}`);
        else if (lit.has && typeof lit.value === 'string') {
          const ok =
            as === 'timestamp'
              ? ISO_TIME.test(lit.value) && !Number.isNaN(Date.parse(lit.value))
              : parseDuration(lit.value) !== undefined;
          if (!ok)
            wrong(
              `${quote(lit.value)} is not ${as === 'timestamp' ? 'an ISO 8601 timestamp (e.g. 2026-11-24T10:00:00Z)' : 'a duration (e.g. 90s, 1h30m)'}`,
            );
        } else if (as === 'timestamp' && t === 'number') wrong('is a number; timestamps are ISO 8601 strings');
      }
      return;
    });
    return;
  }
  const l = base(lt);
  const r = base(rt);
  if (op !== undefined && ORDERED.has(op)) {
    for (const [t, side] of [
      [l, 'left'],
      [r, 'right'],
    ] as const) {
      if (t === 'boolean' || t === 'list' || t === 'object' || t === 'null') {
        ctx.issues.add(
          `${path}.${side}`,
          'TypeMismatch',
          `'${op}' orders values, but ${side} is ${article(t)}; compare numbers, strings, timestamps or durations`,
        );
      }
    }
  }
  if (l !== 'unknown' && r !== 'unknown' && l !== r && l !== 'null' && r !== 'null') {
    ctx.issues.add(
      path,
      'TypeMismatch',
      `compares ${article(l)} with ${article(r)}; this can never be true as written. Make both sides the same type, or set 'as' (number, string, boolean, timestamp, duration)`,
    );
  }
}

export function checkCondition(ctx: CheckContext, cond: unknown, path: string, site: BindingSite, depth: number): void {
  if (!isRecord(cond)) return;
  if (depth > ctx.options.maxDepth) {
    ctx.issues.add(
      path,
      'TooDeep',
      `conditions are nested more than ${ctx.options.maxDepth} levels deep; simplify the condition`,
    );
    return;
  }
  const logical = (['and', 'or', 'not'] as const).filter((k) => cond[k] !== undefined);
  const comparison = (['left', 'op', 'right', 'as'] as const).filter((k) => cond[k] !== undefined);
  if (logical.length > 1) {
    ctx.issues.add(
      path,
      'BadCondition',
      `a condition has one of and, or, not; this one has ${logical.join(' and ')}: nest them instead`,
    );
  }
  if (logical.length > 0 && comparison.length > 0) {
    ctx.issues.add(
      path,
      'BadCondition',
      `a condition is either a comparison (left, op, right) or and/or/not, not both; move ${comparison.join(', ')} into its own condition`,
    );
  }
  if (logical.length === 0) {
    const missing = (['left', 'op', 'right'] as const).filter((k) => cond[k] === undefined);
    if (missing.length > 0) {
      ctx.issues.add(path, 'BadCondition', `a comparison needs left, op and right; missing ${missing.join(', ')}`);
    }
    const what = site.what;
    if (cond['left'] !== undefined)
      checkBinding(ctx, cond['left'], `${path}.left`, { ...site, what: `the left side of a condition of ${what}` });
    if (cond['right'] !== undefined)
      checkBinding(ctx, cond['right'], `${path}.right`, { ...site, what: `the right side of a condition of ${what}` });
    if (missing.length === 0) checkTypes(ctx, cond, path, site);
    return;
  }
  for (const k of ['and', 'or'] as const) {
    const list = cond[k];
    if (Array.isArray(list))
      list.forEach((c: unknown, i) => checkCondition(ctx, c, indexPath(`${path}.${k}`, i), site, depth + 1));
  }
  if (cond['not'] !== undefined) checkCondition(ctx, cond['not'], `${path}.not`, site, depth + 1);
}
