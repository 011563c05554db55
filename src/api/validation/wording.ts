/**
 * How the validator writes paths, names and suggestions: hostile strings (control characters,
 * bidirectional overrides, megabytes of text) never reach a message unescaped or untruncated.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const MAX_QUOTED = 64;

/** `base.key`, or `base["odd key"]` when the key is not a plain identifier. */
export function keyPath(base: string, key: string): string {
  return IDENTIFIER.test(key) ? `${base}.${key}` : `${base}[${safeJson(key)}]`;
}

/** `base[index]`. */
export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** JSON string with every non-printable-ASCII character escaped, truncated to a readable length. */
function safeJson(text: string): string {
  const cut = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
  return JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (ch) =>
    ch === '…' ? '...' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A user's string, quoted for a message: `'extract'`, escaped and truncated when it is odd. */
export function quote(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text) && text.length <= MAX_QUOTED && !text.includes("'")) return `'${text}'`;
  return safeJson(text);
}

/** A short description of any value, for "got ..." in messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/** `a, b and c` (at most `max` items, then `and N more`). */
export function listOf(items: readonly string[], max = 8): string {
  const quoted = items.slice(0, max).map(quote);
  if (items.length > max) quoted.push(`${items.length - max} more`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur.push(v);
      best = Math.min(best, v);
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length] ?? limit + 1;
}

/** The closest candidate to `name`, if one is close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length > 256) return undefined;
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (candidate.length > 256) continue;
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase(), limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean 'extract'?`, or a list of what exists, or nothing. */
export function hint(name: string, candidates: readonly string[], what: string): string {
  const near = closest(name, candidates);
  if (near !== undefined) return `; did you mean ${quote(near)}?`;
  if (candidates.length === 0) return `; there are no ${what}`;
  return `; ${what}: ${listOf(candidates)}`;
}
