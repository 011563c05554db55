/**
 * The contract between the pod-based `flyte-container` plugin and the sandbox kubelet's
 * pyflyte-execute stand-in. A real `pyflyte-execute` learns its task's interface by importing the
 * user's code; the stand-in cannot, and the kubelet only sees the Pod. So the plugin writes what the
 * stand-in needs and the Pod does not already say into one Pod annotation; everything else the
 * stand-in takes from where a real container does: `--inputs`, `--output-prefix` and
 * `--raw-output-data-prefix` from the container's args, the attempt from `FLYTE_ATTEMPT_NUMBER`.
 * Pure.
 */
import type { JsonObject } from '../../api/schema.js';
import { FlyteError } from '../errors.js';
import { isObject } from '../literals/values.js';
import type { StandInRule } from './stand-in.js';

/** The Pod annotation holding a {@link PodStandInSpec} as JSON. */
export const POD_STAND_IN_ANNOTATION = 'flotilla.io/flyte-task';

/** Flyte's entrypoints: a container whose command or args name one runs the stand-in in the sandbox. */
export const FLYTE_ENTRYPOINTS = ['pyflyte-execute', 'pyflyte-fast-execute'] as const;

/** What the kubelet's stand-in needs to know about the task of a Pod. */
export interface PodStandInSpec {
  /** The task's `id.name`. */
  readonly taskName: string;
  /** The Flyte node path (stand-in selectors match it). */
  readonly path: string;
  readonly nodeId: string;
  /** `interface.outputs.variables` of the TaskTemplate: what to produce. */
  readonly outputs: JsonObject;
  /** The stand-in rules that may apply (from the FlyteWorkflow's annotation, already narrowed to this node). */
  readonly rules: readonly StandInRule[];
}

/** Whether a container runs Flyte's entrypoint. */
export function runsFlyteEntrypoint(
  command: readonly string[] | undefined,
  args: readonly string[] | undefined,
): boolean {
  return [...(command ?? []), ...(args ?? [])].some((word) =>
    FLYTE_ENTRYPOINTS.some((e) => word === e || word.endsWith(`/${e}`) || word.split(/\s+/).includes(e)),
  );
}

export function encodePodStandInSpec(spec: PodStandInSpec): string {
  return JSON.stringify(spec);
}

/** Parses the annotation; throws `FlyteError('BadStandIn')` naming what is wrong. */
export function decodePodStandInSpec(text: string): PodStandInSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FlyteError('BadStandIn', `annotation ${POD_STAND_IN_ANNOTATION} is not JSON`, { cause: error });
  }
  if (
    !isObject(parsed) ||
    typeof parsed['taskName'] !== 'string' ||
    typeof parsed['path'] !== 'string' ||
    typeof parsed['nodeId'] !== 'string' ||
    !isObject(parsed['outputs']) ||
    !Array.isArray(parsed['rules'])
  ) {
    throw new FlyteError(
      'BadStandIn',
      `annotation ${POD_STAND_IN_ANNOTATION} must be {taskName, path, nodeId, outputs, rules}`,
    );
  }
  return {
    taskName: parsed['taskName'],
    path: parsed['path'],
    nodeId: parsed['nodeId'],
    outputs: parsed['outputs'],
    rules: parsed['rules'] as unknown as StandInRule[],
  };
}

/** The value of `--<flag>` in a container's args (`--flag value` or `--flag=value`). */
export function argValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === `--${flag}`) return args[i + 1];
    if (a.startsWith(`--${flag}=`)) return a.slice(flag.length + 3);
  }
  return undefined;
}
