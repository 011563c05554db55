/**
 * `flotilla watch NAME`: the Workflow and its tree of node phases, kept current (a watch on the
 * API server) until it ends. Exit 0 when it Succeeded, 1 when it Failed, TimedOut, was Aborted or
 * deleted (or could not be read), 2 on bad input.
 */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';
import { addKubeFlags, type KubeFlags } from '../kubeconfig.js';

interface WatchFlags extends KubeFlags {
  timeout?: string;
}

export function register(program: Command): void {
  addKubeFlags(
    program
      .command('watch')
      .description('Follow a Workflow and its node phases until it ends (exit 0 Succeeded, 1 Failed/TimedOut/Aborted)')
      .argument('<name>', 'the Workflow'),
  )
    .option('--timeout <duration>', 'give up after this long (e.g. 90s, 10m); exit 1')
    .action(async (name: string, flags: WatchFlags) => {
      const { parseDuration } = await import('../../api/duration.js');
      const { kubeTargetFromFlags } = await import('../kubeconfig.js');
      const { WorkflowClient } = await import('../../kube/workflow-client.js');
      const { renderWorkflow } = await import('../workflow-view.js');
      const { frameWriter } = await import('../live.js');
      const { followWorkflows, outcome } = await import('../workflow-follow.js');
      let timeoutMs: number | undefined;
      if (flags.timeout !== undefined) {
        timeoutMs = parseDuration(flags.timeout);
        if (timeoutMs === undefined || timeoutMs <= 0)
          throw new CliError(
            `invalid --timeout ${JSON.stringify(flags.timeout)}: a duration like 90s, 10m`,
            ExitCode.usage,
          );
      }
      const target = kubeTargetFromFlags(flags);
      await new WorkflowClient(target.kubeConfig).get(target.namespace, name);
      const write = frameWriter();
      const piped = !process.stdout.isTTY;
      let lastKey = '';
      const result = await followWorkflows({
        target,
        names: [name],
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        onUpdate: ([wf]) => {
          if (wf === undefined) return;
          // Piped, print a frame only when a phase changed, not every time an age ticks.
          const key = JSON.stringify([
            wf.status?.phase,
            wf.status?.progress,
            Object.values(wf.status?.nodes ?? {}).map((n) => n.phase),
          ]);
          if (piped && key === lastKey) return;
          lastKey = key;
          write(`${renderWorkflow(wf, { format: 'table', headers: true })}${piped ? '\n' : ''}`);
        },
      });
      const { exitCode, failures } = outcome(result);
      if (exitCode !== ExitCode.ok) throw new CliError(failures.join('\n'), exitCode);
    });
}
