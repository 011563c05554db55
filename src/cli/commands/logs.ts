/**
 * `flotilla logs NAME [NODE]`: the log of a Workflow's task pod, read through the API server
 * (`pods/log`, as `kubectl logs`), of the last attempt of NODE, or of every pod task's last
 * attempt (each under a `==> node (pod) <==` header) without NODE. Pods live while their workflow
 * runs: the controller deletes them once it ended (their outputs are in its status). Exit 1 when
 * the Workflow has no such pod or the API server refuses or cannot be reached (host and port named).
 */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';
import { addKubeFlags, type KubeFlags } from '../kubeconfig.js';

export function register(program: Command): void {
  addKubeFlags(
    program
      .command('logs')
      .description("Print the log of a Workflow's task pod (the last attempt of NODE, or of every pod task)")
      .argument('<name>', 'the Workflow')
      .argument('[node]', 'the node path, e.g. extract or sub/load'),
  ).action(async (name: string, node: string | undefined, flags: KubeFlags) => {
    const { CoreV1Api } = await import('@kubernetes/client-node');
    const { kubeTargetFromFlags } = await import('../kubeconfig.js');
    const { toKubeError } = await import('../../kube/errors.js');
    const { Labels, WorkflowAnnotations } = await import('../../api/workflow.js');
    const { labelValue } = await import('../../api/names.js');
    const { CONTAINER_NAME } = await import('../../plugins/pod/index.js');
    const { WorkflowClient } = await import('../../kube/workflow-client.js');
    const { isTerminalWorkflowPhase } = await import('../../api/status.js');
    const target = kubeTargetFromFlags(flags);
    const { namespace, server } = target;
    const core = target.kubeConfig.makeApiClient(CoreV1Api);
    const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        throw toKubeError(error, what, server);
      }
    };
    const pods = await call(`list pods of workflow ${namespace}/${name}`, () =>
      core.listNamespacedPod({ namespace, labelSelector: `${Labels.workflow}=${labelValue(name)}` }),
    );
    // The last attempt of each node.
    const latest = new Map<string, { pod: string; attempt: number }>();
    for (const pod of pods.items) {
      const path = pod.metadata?.annotations?.[WorkflowAnnotations.nodePath];
      const podName = pod.metadata?.name;
      if (path === undefined || podName === undefined) continue;
      const attempt = Number(pod.metadata?.labels?.[Labels.attempt] ?? '0');
      const known = latest.get(path);
      if (known === undefined || attempt > known.attempt) latest.set(path, { pod: podName, attempt });
    }
    if (latest.size === 0) {
      // Also says NotFound (with the server's words) when there is no such workflow.
      const workflow = await new WorkflowClient(target.kubeConfig).get(namespace, name);
      const phase = workflow.status?.phase ?? 'Pending';
      throw new CliError(
        isTerminalWorkflowPhase(phase)
          ? `workflow ${namespace}/${name} is ${phase} and has no task pods left: the controller deletes them when a workflow ends (the task outputs are in its status: flotilla get ${name} -o yaml)`
          : `workflow ${namespace}/${name} (${phase}) has no task pods yet`,
        ExitCode.failed,
      );
    }
    if (node !== undefined && !latest.has(node)) {
      throw new CliError(
        `workflow ${namespace}/${name} has no pod for node '${node}' (nodes with pods: ${[...latest.keys()].sort().join(', ')})`,
        ExitCode.failed,
      );
    }
    const chosen =
      node !== undefined ? [[node, latest.get(node)] as const] : [...latest].sort(([a], [b]) => a.localeCompare(b));
    for (const [path, entry] of chosen) {
      if (entry === undefined) continue;
      const text = await call(`read the log of pod ${namespace}/${entry.pod}`, () =>
        core.readNamespacedPodLog({ namespace, name: entry.pod, container: CONTAINER_NAME }),
      );
      if (chosen.length > 1) process.stdout.write(`==> ${path} (pod ${entry.pod}, attempt ${entry.attempt}) <==\n`);
      process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    }
  });
}
