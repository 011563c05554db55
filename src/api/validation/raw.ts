/**
 * The first line of defence: is the input plain JSON (no functions, cycles, NaN, undefined
 * values), how deep is it, and how large is it serialised? Walks iteratively with budgets, so
 * neither deep nesting nor shared-reference blow-ups (YAML aliases) can exhaust the stack or
 * the heap. Everything after this step may assume a finite JSON tree of bounded depth and size.
 */
import type { IssueList } from './issues.js';
import { indexPath, keyPath } from './wording.js';

export interface RawLimits {
  readonly maxDepth: number;
  readonly maxBytes: number;
}

/** Returns true when the value is a JSON tree within the limits; otherwise adds issues. */
export function checkRawJson(value: unknown, path: string, limits: RawLimits, issues: IssueList): boolean {
  let bytes = 0;
  let ok = true;
  const stack: { value: unknown; path: string; depth: number; leave?: object }[] = [{ value, path, depth: 0 }];
  const onPath = new Set<object>();
  let reported = 0;
  const fail = (p: string, code: 'NotJson' | 'TooDeep', message: string): void => {
    ok = false;
    if (reported++ < 20) issues.add(p, code, message);
  };
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined) break;
    if (item.leave !== undefined) {
      onPath.delete(item.leave);
      continue;
    }
    const v = item.value;
    if (v === null || typeof v === 'boolean') {
      bytes += 5;
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(item.path, 'NotJson', `${String(v)} is not a JSON number`);
      bytes += 24;
    } else if (typeof v === 'string') {
      bytes += Buffer.byteLength(v, 'utf8') + 2;
    } else if (typeof v === 'object') {
      if (onPath.has(v)) {
        fail(item.path, 'NotJson', 'the object contains itself (a reference cycle); a spec must be a JSON tree');
        continue;
      }
      if (item.depth >= limits.maxDepth) {
        fail(item.path, 'TooDeep', `nested more than ${limits.maxDepth} levels deep`);
        continue;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
        fail(item.path, 'NotJson', 'not a plain JSON object');
        continue;
      }
      onPath.add(v);
      stack.push({ value: undefined, path: '', depth: 0, leave: v });
      bytes += 2;
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--)
          stack.push({ value: v[i], path: indexPath(item.path, i), depth: item.depth + 1 });
        bytes += v.length;
      } else {
        const keys = Object.keys(v);
        for (let i = keys.length - 1; i >= 0; i--) {
          const k = keys[i] ?? '';
          bytes += Buffer.byteLength(k, 'utf8') + 4;
          const child: unknown = (v as Record<string, unknown>)[k];
          if (child === undefined) continue;
          stack.push({ value: child, path: keyPath(item.path, k), depth: item.depth + 1 });
        }
      }
    } else {
      fail(item.path, 'NotJson', `a ${typeof v} is not a JSON value`);
    }
    if (bytes > limits.maxBytes) {
      issues.add(
        path,
        'TooLarge',
        `larger than ${limits.maxBytes} bytes serialised; keep specs small and pass large data by reference`,
      );
      return false;
    }
  }
  return ok;
}

/** Serialised size in bytes of a value already known to be a JSON tree. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
}
