/**
 * Following Workflows until they end (`flotilla watch`, `submit --wait`): a watch on the
 * namespace's Workflows through the live view (`live.ts`), and the exit code a script reads from
 * the outcome: 0 when every one Succeeded, 1 when any Failed, TimedOut or was Aborted (or
 * deleted), 1 on `--timeout`.
 */
import type { Workflow } from '../api/workflow.js';
import { isTerminalWorkflowPhase } from '../api/status.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION, WorkflowClient } from '../kube/workflow-client.js';
import { CliError, ExitCode } from './exit.js';
import type { KubeTarget } from './kubeconfig.js';
import { live } from './live.js';
import { phaseOf, progressLine } from './workflow-view.js';

export interface FollowOptions {
  readonly target: KubeTarget;
  readonly names: readonly string[];
  /** Called after every change with the followed workflows still present. */
  readonly onUpdate: (workflows: readonly Workflow[]) => void;
  /** Give up after this long (exit 1). */
  readonly timeoutMs?: number;
}

export interface FollowResult {
  /** The last seen state of each followed workflow; missing = deleted while followed. */
  readonly workflows: ReadonlyMap<string, Workflow>;
  readonly deleted: readonly string[];
  readonly stopped: boolean;
}

/** Follows the named workflows of `target.namespace` until all are terminal or deleted. */
export async function followWorkflows(options: FollowOptions): Promise<FollowResult> {
  const { kubeConfig, namespace } = options.target;
  const client = new WorkflowClient(kubeConfig);
  const wanted = new Set(options.names);
  const last = new Map<string, Workflow>();
  const deleted = new Set<string>();
  const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined;
  const how = await live<Workflow>({
    kubeConfig,
    path: `/apis/${WORKFLOW_GROUP}/${WORKFLOW_VERSION}/namespaces/${namespace}/${WORKFLOW_PLURAL}`,
    resource: 'workflows',
    list: async () => {
      const list = await client.list({ namespace });
      return { items: list.items, metadata: { resourceVersion: list.resourceVersion } };
    },
    refreshMs: 1000,
    render: (objects) => {
      const present = objects.filter((wf) => wanted.has(wf.metadata.name));
      for (const wf of present) last.set(wf.metadata.name, wf);
      for (const name of wanted) if (!present.some((wf) => wf.metadata.name === name)) deleted.add(name);
      options.onUpdate(present);
      if (deadline !== undefined && Date.now() > deadline) {
        const pending = present.filter((wf) => !isTerminalWorkflowPhase(phaseOf(wf))).map((wf) => progressLine(wf));
        throw new CliError(
          `timed out after ${Math.round((options.timeoutMs ?? 0) / 1000)} s: ${pending.join('; ')}`,
          ExitCode.failed,
        );
      }
      return [...wanted].every((name) => deleted.has(name) || isTerminalWorkflowPhase(last.get(name)?.status?.phase));
    },
  });
  return { workflows: last, deleted: [...deleted], stopped: how === 'stopped' };
}

/** The exit code of a finished follow, and a line naming each workflow that did not succeed. */
export function outcome(result: FollowResult): { exitCode: number; failures: string[] } {
  const failures = [
    ...[...result.workflows.values()]
      .filter((wf) => !result.deleted.includes(wf.metadata.name) && phaseOf(wf) !== 'Succeeded')
      .map((wf) => progressLine(wf)),
    ...result.deleted.map((name) => `${name}: deleted (aborted)`),
  ];
  if (result.stopped) return { exitCode: ExitCode.failed, failures: ['interrupted before the end', ...failures] };
  return { exitCode: failures.length === 0 ? ExitCode.ok : ExitCode.failed, failures };
}

/** Writes progress lines: one line kept current on a terminal, a new line per change when piped. */
export function progressWriter(stream: NodeJS.WriteStream = process.stderr): {
  update(lines: readonly string[], keys: readonly string[]): void;
  end(): void;
} {
  let previousKeys = '';
  let drawn = 0;
  return {
    update(lines, keys) {
      if (stream.isTTY) {
        stream.write(`${drawn > 1 ? `\x1b[${drawn - 1}A` : ''}\r\x1b[J${lines.join('\n')}`);
        drawn = lines.length;
        return;
      }
      const key = keys.join('\n');
      if (key === previousKeys) return;
      previousKeys = key;
      stream.write(lines.map((l) => `${l}\n`).join(''));
    },
    end() {
      if (stream.isTTY && drawn > 0) stream.write('\n');
      drawn = 0;
    },
  };
}
