/**
 * `flotilla get [wf] [NAME]`: Workflows as `kubectl get` lists them (NAME PHASE PROGRESS SHARD
 * AGE MESSAGE; `-o wide` adds DURATION and NODES), or one Workflow with a tree of its node phases.
 * `-o table|wide|json|yaml|name`, `--no-headers`, `-A` (all namespaces), `-l` (label selector),
 * `-w` (print again on every change until Ctrl-C). Exit 1 when the API server refuses or cannot
 * be reached (its host and port named), or NAME does not exist; 2 on bad input.
 */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';
import { addKubeFlags, type KubeFlags } from '../kubeconfig.js';
import { noHeadersOption, outputOption, type OutputFlags } from '../output.js';

interface GetFlags extends KubeFlags, OutputFlags {
  allNamespaces?: boolean;
  selector?: string;
  watch?: boolean;
}

const RESOURCE_WORDS = new Set(['wf', 'wfs', 'workflow', 'workflows', 'workflow.flotilla.io', 'workflows.flotilla.io']);

/** `get`, `get NAME`, `get wf`, `get wf NAME`, `get workflow/NAME`. */
export function parseGetArgs(args: readonly string[]): string | undefined {
  const words = [...args];
  const first = words[0];
  if (first !== undefined && first.includes('/')) {
    const [kind, name] = first.split('/', 2);
    if (!RESOURCE_WORDS.has(kind ?? '') || !name || words.length > 1)
      throw new CliError(`unknown resource '${first}': flotilla get shows Workflows (wf NAME)`, ExitCode.usage);
    return name;
  }
  if (first !== undefined && RESOURCE_WORDS.has(first)) words.shift();
  if (words.length > 1)
    throw new CliError(`expected at most one Workflow name, got ${words.join(' ')}`, ExitCode.usage);
  return words[0];
}

export function register(program: Command): void {
  addKubeFlags(
    program
      .command('get')
      .description('List Workflows (NAME PHASE PROGRESS SHARD AGE MESSAGE), or show one with a tree of its node phases')
      .argument('[args...]', '[wf] [NAME]'),
  )
    .option('-A, --all-namespaces', 'list Workflows of every namespace')
    .option('-l, --selector <selector>', 'label selector, e.g. flotilla.io/shard=3')
    .option('-w, --watch', 'print again on every change (Ctrl-C ends)')
    .addOption(outputOption())
    .addOption(noHeadersOption())
    .action(async (args: string[], flags: GetFlags) => {
      const name = parseGetArgs(args);
      if (name !== undefined && flags.allNamespaces)
        throw new CliError('a Workflow name cannot be given with --all-namespaces', ExitCode.usage);
      const { kubeTargetFromFlags } = await import('../kubeconfig.js');
      const { WorkflowClient, WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } =
        await import('../../kube/workflow-client.js');
      const { renderWorkflow, renderWorkflows } = await import('../workflow-view.js');
      const target = kubeTargetFromFlags(flags);
      const client = new WorkflowClient(target.kubeConfig);
      const namespace = flags.allNamespaces ? undefined : target.namespace;
      const options = { format: flags.output, headers: flags.headers, allNamespaces: flags.allNamespaces === true };
      if (!flags.watch) {
        if (name !== undefined)
          return void process.stdout.write(renderWorkflow(await client.get(target.namespace, name), options));
        const list = await client.list({
          ...(namespace !== undefined ? { namespace } : {}),
          ...(flags.selector ? { labelSelector: flags.selector } : {}),
        });
        // As kubectl: an empty table is a note on stderr, not a lone header line.
        if (list.items.length === 0 && (flags.output === 'table' || flags.output === 'wide')) {
          return void process.stderr.write(
            `No resources found${namespace !== undefined ? ` in ${namespace} namespace` : ''}.\n`,
          );
        }
        return void process.stdout.write(renderWorkflows(sorted(list.items), options));
      }
      const { live, frameWriter } = await import('../live.js');
      if (name !== undefined) await client.get(target.namespace, name);
      const write = frameWriter();
      const separator = process.stdout.isTTY || flags.output === 'json' || flags.output === 'yaml' ? '' : '\n';
      await live({
        kubeConfig: target.kubeConfig,
        path: `/apis/${WORKFLOW_GROUP}/${WORKFLOW_VERSION}${namespace !== undefined ? `/namespaces/${namespace}` : ''}/${WORKFLOW_PLURAL}`,
        resource: 'workflows',
        list: async () => {
          const list = await client.list({
            ...(namespace !== undefined ? { namespace } : {}),
            ...(flags.selector ? { labelSelector: flags.selector } : {}),
          });
          return { items: list.items, metadata: { resourceVersion: list.resourceVersion } };
        },
        // Ages move on: refresh a terminal's view; piped, print only on a change.
        refreshMs: process.stdout.isTTY ? 2000 : 0,
        render: (items) => {
          if (name === undefined) write(`${renderWorkflows(sorted(items), options)}${separator}`);
          else {
            const wf = items.find((w) => w.metadata.name === name);
            write(
              wf === undefined
                ? `workflow ${target.namespace}/${name} was deleted\n`
                : `${renderWorkflow(wf, options)}${separator}`,
            );
          }
          return false;
        },
      });
    });
}

function sorted<T extends { metadata: { namespace: string; name: string } }>(items: readonly T[]): T[] {
  return [...items].sort(
    (a, b) =>
      a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name),
  );
}
