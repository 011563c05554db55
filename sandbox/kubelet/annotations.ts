/**
 * The Pod annotations the simulated kubelet obeys (documented in docs/sandbox-kubelet.md), and
 * their parsing. Pure: no client, no clock.
 */
import { KubeletError } from './errors.js';

export const Annotations = {
  /** How long the container runs once started, as a Go duration (`2s`, `150ms`, `1m30s`), or `forever`. */
  duration: 'flotilla.io/sim-duration',
  /** The container's exit code (0-255). 0 ends in Succeeded, anything else in Failed. */
  exitCode: 'flotilla.io/sim-exit-code',
  /** The container's termination message (the task's JSON outputs). */
  message: 'flotilla.io/sim-message',
  /** A system failure to simulate instead of a normal run: see {@link SimFailure}. */
  failure: 'flotilla.io/sim-failure',
} as const;

export const SimFailures = ['ImagePullBackOff', 'OOMKilled', 'Evicted', 'Lost'] as const;
/** The system failures the kubelet can simulate. */
export type SimFailure = (typeof SimFailures)[number];

/** What a Pod's annotations ask of the kubelet, with defaults applied. */
export interface SimSpec {
  /** Run time in ms; `undefined` = runs until deleted. */
  runMs: number | undefined;
  exitCode: number;
  message: string | undefined;
  failure: SimFailure | undefined;
  /** Annotations that could not be parsed (their defaults were used instead). */
  problems: KubeletError[];
}

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go-style duration (`150ms`, `2s`, `1.5s`, `1m30s`) into milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < trimmed.length) {
    part.lastIndex = index;
    const match = part.exec(trimmed);
    if (!match)
      throw new KubeletError(
        'InvalidAnnotation',
        `invalid duration ${JSON.stringify(text)} (use e.g. 150ms, 2s, 1m30s)`,
      );
    total += Number(match[1]) * (unitMs[match[2] ?? ''] ?? Number.NaN);
    index = part.lastIndex;
  }
  if (index === 0 || !Number.isFinite(total)) {
    throw new KubeletError('InvalidAnnotation', `invalid duration ${JSON.stringify(text)} (use e.g. 150ms, 2s, 1m30s)`);
  }
  return Math.round(total);
}

export interface SimDefaults {
  /** Run time when `flotilla.io/sim-duration` is absent. */
  runMs: number;
}

/** Reads the simulation annotations of a Pod, falling back to the defaults on absence or error. */
export function readSimSpec(annotations: Record<string, string> | undefined, defaults: SimDefaults): SimSpec {
  const a = annotations ?? {};
  const problems: KubeletError[] = [];
  let runMs: number | undefined = defaults.runMs;
  const durationText = a[Annotations.duration];
  if (durationText?.trim() === 'forever') runMs = undefined;
  else if (durationText !== undefined) {
    try {
      runMs = parseDuration(durationText);
    } catch (error) {
      problems.push(error instanceof KubeletError ? error : new KubeletError('InvalidAnnotation', String(error)));
    }
  }
  let exitCode = 0;
  const exitText = a[Annotations.exitCode];
  if (exitText !== undefined) {
    const parsed = Number(exitText.trim());
    if (Number.isInteger(parsed) && parsed >= 0 && parsed <= 255 && exitText.trim() !== '') exitCode = parsed;
    else
      problems.push(
        new KubeletError(
          'InvalidAnnotation',
          `${Annotations.exitCode}: ${JSON.stringify(exitText)} is not an integer 0-255`,
        ),
      );
  }
  let failure: SimFailure | undefined;
  const failureText = a[Annotations.failure];
  if (failureText !== undefined && failureText !== '') {
    const found = SimFailures.find((f) => f === failureText.trim());
    if (found) failure = found;
    else
      problems.push(
        new KubeletError(
          'InvalidAnnotation',
          `${Annotations.failure}: ${JSON.stringify(failureText)} is not one of ${SimFailures.join(', ')}`,
        ),
      );
  }
  return { runMs, exitCode, message: a[Annotations.message], failure, problems };
}
