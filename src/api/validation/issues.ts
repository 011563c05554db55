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
  | 'UnknownNode'
  | 'UnknownTask'
  | 'UnknownInput'
  | 'UnknownOutput'
  | 'Cycle'
  | 'TypeMismatch'
  | 'NotAList'
  | 'MissingBlock'
  | 'ConflictingBlocks'
  | 'EmptyBranch'
  | 'GateWithoutKind'
  | 'BadDuration'
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
