/**
 * `flotilla abort NAME...`: aborts Workflows. As the design says, abort is delete: the owning
 * replica's finalizer (`flotilla.io/abort`) stops running tasks before the Workflow goes. Exit 1
 * when one does not exist or the API server refuses or cannot be reached.
 */
import type { Command } from 'commander';
import { addKubeFlags, type KubeFlags } from '../kubeconfig.js';

export function register(program: Command): void {
  addKubeFlags(
    program
      .command('abort')
      .description('Abort Workflows (delete them: running tasks are stopped first)')
      .argument('<names...>', 'the Workflows'),
  ).action(async (names: string[], flags: KubeFlags) => {
    const { kubeTargetFromFlags } = await import('../kubeconfig.js');
    const { WorkflowClient } = await import('../../kube/workflow-client.js');
    const target = kubeTargetFromFlags(flags);
    const client = new WorkflowClient(target.kubeConfig);
    for (const name of names) {
      await client.delete(target.namespace, name);
      process.stdout.write(`workflow.flotilla.io/${name} aborted\n`);
    }
  });
}
