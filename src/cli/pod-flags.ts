/**
 * `flotilla controller`'s task-Pod flags: the default PodTemplate and where interruptible attempts
 * run (FlytePropeller's `default-pod-template-name`, `interruptible-tolerations`,
 * `interruptible-node-selector`, `interruptible-failure-threshold`).
 */
import type { Command } from 'commander';
import type { V1Toleration } from '@kubernetes/client-node';
import type { InterruptibleScheduling } from '../plugins/pod/platform.js';
import { CliError, ExitCode } from './exit.js';

export interface PodFlags {
  defaultPodTemplate?: string;
  interruptibleTolerations?: string;
  interruptibleNodeSelector?: string;
  interruptibleFailureThreshold: string;
}

export function addPodFlags(command: Command): Command {
  return command
    .option(
      '--default-pod-template <name>',
      "PodTemplate under every task pod whose task names none (the workflow's namespace, then --fleet-namespace)",
    )
    .option(
      '--interruptible-tolerations <json>',
      'tolerations (a JSON list) added to the pods of interruptible tasks, e.g. \'[{"key":"spot","operator":"Exists"}]\'',
    )
    .option('--interruptible-node-selector <k=v,...>', 'node selector of interruptible task pods')
    .option(
      '--interruptible-failure-threshold <n>',
      'system failures after which an interruptible task runs on non-interruptible nodes; -N: its last N attempts',
      '-1',
    );
}

const TOLERATION_KEYS = new Set(['key', 'operator', 'value', 'effect', 'tolerationSeconds']);

function tolerationsOf(text: string): V1Toleration[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `invalid --interruptible-tolerations: not JSON (${error instanceof Error ? error.message : String(error)})`,
      ExitCode.usage,
      { cause: error },
    );
  }
  if (!Array.isArray(parsed))
    throw new CliError('invalid --interruptible-tolerations: a JSON list of tolerations', ExitCode.usage);
  return parsed.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new CliError(`invalid --interruptible-tolerations[${i}]: a toleration object`, ExitCode.usage);
    const unknown = Object.keys(item).filter((k) => !TOLERATION_KEYS.has(k));
    if (unknown.length > 0)
      throw new CliError(
        `invalid --interruptible-tolerations[${i}]: unknown field ${unknown.join(', ')} (key, operator, value, effect, tolerationSeconds)`,
        ExitCode.usage,
      );
    return item as V1Toleration;
  });
}

function selectorOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const match = /^([^=\s]+)=([^=\s]*)$/.exec(part);
    if (!match?.[1])
      throw new CliError(`invalid --interruptible-node-selector ${JSON.stringify(part)}: key=value`, ExitCode.usage);
    out[match[1]] = match[2] ?? '';
  }
  return out;
}

/** The process options the flags give; throws a usage CliError naming a bad flag. */
export function podOptionsOf(flags: PodFlags): {
  pods: { defaultPodTemplate?: string; interruptible?: InterruptibleScheduling };
  interruptibleFailureThreshold: number;
} {
  const threshold = Number(flags.interruptibleFailureThreshold);
  if (!/^-?\d+$/.test(flags.interruptibleFailureThreshold.trim()) || !Number.isSafeInteger(threshold))
    throw new CliError(
      `invalid --interruptible-failure-threshold ${JSON.stringify(flags.interruptibleFailureThreshold)}: an integer (e.g. -1)`,
      ExitCode.usage,
    );
  const tolerations = flags.interruptibleTolerations ? tolerationsOf(flags.interruptibleTolerations) : undefined;
  const nodeSelector = flags.interruptibleNodeSelector ? selectorOf(flags.interruptibleNodeSelector) : undefined;
  return {
    pods: {
      ...(flags.defaultPodTemplate ? { defaultPodTemplate: flags.defaultPodTemplate } : {}),
      ...(tolerations || nodeSelector
        ? { interruptible: { ...(tolerations ? { tolerations } : {}), ...(nodeSelector ? { nodeSelector } : {}) } }
        : {}),
    },
    interruptibleFailureThreshold: threshold,
  };
}
