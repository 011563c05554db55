/** The validator's limits, with their defaults. */

/** Limits and switches of the validator. Every limit gives a `TooManyNodes`/`TooDeep`/`TooLarge` issue. */
export interface ValidationOptions {
  /** Most nodes in a spec, counting nested nodes (branch cases, array items, sub-workflow nodes, onFailure). @defaultValue 1000 */
  readonly maxNodes?: number;
  /** Deepest nesting of nodes (a node inside a branch inside an array is depth 3; a sub-workflow's nodes are one deeper than the node that runs it), and of `and`/`or`/`not` conditions. @defaultValue 10 */
  readonly maxDepth?: number;
  /** Largest spec, serialised as JSON, in bytes. @defaultValue 524288 (512 KiB) */
  readonly maxSpecBytes?: number;
  /** Largest single input value (workflow or sub-workflow input, literal binding value), serialised, in bytes. @defaultValue 65536 (64 KiB) */
  readonly maxInputValueBytes?: number;
  /** Most items in a list an array node maps over when the list is known (a literal, or a workflow input). @defaultValue 10000 */
  readonly maxArrayItems?: number;
  /** Deepest JSON nesting accepted at all; deeper input is rejected before any other check. @defaultValue 100 */
  readonly maxJsonDepth?: number;
  /** Most issues reported; the rest are summarised by one `TooManyIssues` issue. @defaultValue 100 */
  readonly maxIssues?: number;
  /** Plugin names that exist. When given, a task naming another plugin is an `UnknownTask` issue. @defaultValue undefined (any name) */
  readonly plugins?: readonly string[];
}

export type ResolvedOptions = Required<Omit<ValidationOptions, 'plugins'>> & {
  readonly plugins: readonly string[] | undefined;
};

export const DEFAULT_LIMITS = {
  maxNodes: 1000,
  maxDepth: 10,
  maxSpecBytes: 512 * 1024,
  maxInputValueBytes: 64 * 1024,
  maxArrayItems: 10_000,
  maxJsonDepth: 100,
  maxIssues: 100,
} as const;

function pick(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

export function resolveOptions(options: ValidationOptions | undefined): ResolvedOptions {
  const o = options ?? {};
  return {
    maxNodes: pick(o.maxNodes, DEFAULT_LIMITS.maxNodes),
    maxDepth: pick(o.maxDepth, DEFAULT_LIMITS.maxDepth),
    maxSpecBytes: pick(o.maxSpecBytes, DEFAULT_LIMITS.maxSpecBytes),
    maxInputValueBytes: pick(o.maxInputValueBytes, DEFAULT_LIMITS.maxInputValueBytes),
    maxArrayItems: pick(o.maxArrayItems, DEFAULT_LIMITS.maxArrayItems),
    maxJsonDepth: pick(o.maxJsonDepth, DEFAULT_LIMITS.maxJsonDepth),
    maxIssues: pick(o.maxIssues, DEFAULT_LIMITS.maxIssues),
    plugins: Array.isArray(o.plugins) ? o.plugins : undefined,
  };
}
