/**
 * Validation issues: the codes, the issue shape, and the collector the checks write into.
 *
 * Paths are in the user's terms, built from the spec they wrote:
 * `spec.nodes[3].inputs.rows`, `spec.subWorkflows.publish.nodes[0].task`,
 * `spec.tasks["my task"].pod.image` (keys that are not plain identifiers are quoted).
 */

/** Why a workflow is invalid. Callers branch on this, never on the message. */
export type ValidationCode =
  | 'SchemaViolation'
  | 'NotJson'
  | 'DuplicateId'
  | 'MissingId'
  | 'UnknownNode'
  | 'UnknownTask'
  | 'UnknownPlugin'
  | 'UnknownInput'
  | 'UnknownOutput'
  | 'Cycle'
  | 'TypeMismatch'
  | 'NotAList'
  | 'MissingBlock'
  | 'UnsupportedNode'
  | 'ConflictingBlocks'
  | 'EmptyBranch'
  | 'GateWithoutKind'
  | 'BadDuration'
  | 'BadQuantity'
  | 'BadCondition'
  | 'TooManyNodes'
  | 'TooDeep'
  | 'TooLarge'
  | 'TooManyIssues'
  | 'BadName'
  | 'BadApiVersion'
  | 'FromItemOutsideArray'
  | 'BadBinding'
  | 'UnknownSubWorkflow'
  | 'RecursiveSubWorkflow';

export interface ValidationIssue {
  /** Where, in the user's terms: `spec.nodes[3].inputs.rows`. */
  readonly path: string;
  readonly code: ValidationCode;
  /** What is wrong and what to do about it, for a person. */
  readonly message: string;
}

/**
 * Collects issues; de-duplicates; a specific issue hides a generic `SchemaViolation` at the same
 * path, and a `ConflictingBlocks` issue hides schema noise inside the block it asks to remove.
 */
export class IssueList {
  readonly #items: ValidationIssue[] = [];
  readonly #seen = new Set<string>();

  add(path: string, code: ValidationCode, message: string): void {
    const key = `${path}\u0000${code}\u0000${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#items.push({ path, code, message });
  }

  get size(): number {
    return this.#items.length;
  }

  /** The issues, generic schema issues hidden where a specific one names the same path, capped at `max`. */
  result(max: number): ValidationIssue[] {
    const specific = new Set(this.#items.filter((i) => i.code !== 'SchemaViolation').map((i) => i.path));
    const conflicting = this.#items.filter((i) => i.code === 'ConflictingBlocks').map((i) => `${i.path}.`);
    const kept = this.#items.filter(
      (i) => i.code !== 'SchemaViolation' || (!specific.has(i.path) && !conflicting.some((p) => i.path.startsWith(p))),
    );
    if (kept.length <= max) return kept;
    const shown = kept.slice(0, Math.max(0, max));
    shown.push({
      path: kept[max]?.path ?? '',
      code: 'TooManyIssues',
      message: `${kept.length - shown.length} more issues not shown; fix the ones above first`,
    });
    return shown;
  }
}
