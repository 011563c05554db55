/**
 * Errors of the Flyte front end. Callers branch on the class or `code`, never on the message.
 * A workflow that fails validation is not an error for `validateFlyteWorkflow` (it returns the
 * problems); `parseFlyteWorkflow` throws `InvalidFlyteWorkflowError` carrying them.
 */
import { FlotillaError } from '../api/errors.js';
import type { FlyteProblem } from './validation/problems.js';

/** Why an operation on a FlyteWorkflow could not be done. */
export type FlyteErrorCode =
  /** A fleet shard count outside [1, MAX_FLEET_SHARDS]. */
  | 'InvalidShardCount'
  /** The object is not a valid FlyteWorkflow (`problems` lists why). */
  | 'InvalidWorkflow'
  /** A valid FlyteWorkflow uses something the translation into the engine's model cannot express (the message names the path). */
  | 'Untranslatable'
  /** A value is not the flyteidl Literal (or LiteralMap, ErrorDocument) it should be. */
  | 'BadLiteral'
  /** A branch condition cannot be evaluated (unknown variable, operands of kinds that do not compare). */
  | 'BadCondition'
  /** A container's command or args template cannot be rendered (an `{{.inputs.x}}` that is not an input, a value that does not render). */
  | 'BadTemplate'
  /** The stand-in annotation is not the JSON it should be. */
  | 'BadStandIn'
  /** `status.flotilla` (the engine state kept in a FlyteWorkflow's status) is missing or malformed. */
  | 'BadEngineState';

/** Never retryable: the same input gives the same answer. */
export class FlyteError extends FlotillaError<FlyteErrorCode> {
  override readonly name: string = 'FlyteError';
  constructor(code: FlyteErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: false });
  }
}

/** The object is not a FlyteWorkflow the fleet can run; the controller marks it Failed with `message`. */
export class InvalidFlyteWorkflowError extends FlyteError {
  override readonly name = 'InvalidFlyteWorkflowError';
  /** Every problem found, paths from the object's root. */
  readonly problems: readonly FlyteProblem[];
  constructor(problems: readonly FlyteProblem[], options?: { cause?: unknown }) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(
      'InvalidWorkflow',
      first === undefined ? 'invalid FlyteWorkflow' : `${first.path}: ${first.message}${more}`,
      options,
    );
    this.problems = problems;
  }
}
