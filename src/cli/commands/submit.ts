/**
 * `flotilla submit FILE`: creates the Workflow(s) in FILE (YAML or JSON, several documents
 * allowed; `-` reads stdin), checked first by the same validation as the admission webhook.
 * `--wait` follows them until they end, with a live progress line on a terminal (plain lines
 * when piped). Exit 0 when created (with `--wait`: when every one Succeeded), 1 when one Failed,
 * TimedOut or was Aborted, or the API server refused or could not be reached, 2 on bad input.
 */
import { Option, type Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';
import { addKubeFlags, type KubeFlags } from '../kubeconfig.js';
import { OutputFormats, type OutputFormat } from '../output.js';

interface SubmitFlags extends KubeFlags {
  wait?: boolean;
  timeout?: string;
  /** Unset: `workflow.flotilla.io/NAME created`, as kubectl create says. */
  output?: OutputFormat;
}

export function register(program: Command): void {
  addKubeFlags(
    program
      .command('submit')
      .description(
        'Create the Workflow(s) in FILE; --wait follows them to the end (exit 0 Succeeded, 1 Failed/TimedOut/Aborted)',
      )
      .argument('<file>', 'a YAML or JSON file of one or more Workflows, or - for stdin'),
    { namespace: "namespace for Workflows that name none (default: the context's namespace, else default)" },
  )
    .option('--wait', 'follow the Workflows until they end, showing their progress')
    .option('--timeout <duration>', 'with --wait: give up after this long (e.g. 90s, 10m); exit 1')
    .addOption(
      new Option(
        '-o, --output <format>',
        'print the created Workflows so (default: workflow.flotilla.io/NAME created)',
      ).choices([...OutputFormats]),
    )
    .action(async (file: string, flags: SubmitFlags) => {
      const { readFile } = await import('node:fs/promises');
      const YAML = await import('yaml');
      const { validateWorkflow } = await import('../../api/validation/index.js');
      const { parseDuration } = await import('../../api/duration.js');
      const { kubeTargetFromFlags } = await import('../kubeconfig.js');
      const { WorkflowClient } = await import('../../kube/workflow-client.js');
      const { renderWorkflows, workflowName, progressLine, phaseOf } = await import('../workflow-view.js');
      const { followWorkflows, outcome, progressWriter } = await import('../workflow-follow.js');

      let timeoutMs: number | undefined;
      if (flags.timeout !== undefined) {
        timeoutMs = parseDuration(flags.timeout);
        if (timeoutMs === undefined || timeoutMs <= 0)
          throw new CliError(
            `invalid --timeout ${JSON.stringify(flags.timeout)}: a duration like 90s, 10m`,
            ExitCode.usage,
          );
      }
      let text: string;
      try {
        text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      } catch (error) {
        throw new CliError(
          `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.usage,
          { cause: error },
        );
      }
      const documents = YAML.parseAllDocuments(text).filter((doc) => doc.contents !== null);
      if (documents.length === 0) throw new CliError(`${file} holds no Workflow`, ExitCode.usage);
      const target = kubeTargetFromFlags(flags);
      const workflows = documents.map((doc, index) => {
        const where = documents.length > 1 ? `${file} (document ${index + 1})` : file;
        if (doc.errors.length > 0)
          throw new CliError(`${where} is not YAML: ${doc.errors[0]?.message ?? ''}`, ExitCode.usage);
        const validation = validateWorkflow(doc.toJS());
        if (!validation.ok)
          throw new CliError(
            `${where} is not a valid Workflow:\n${validation.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
            ExitCode.usage,
          );
        const wf = validation.workflow;
        const own = wf.metadata.namespace as string | undefined;
        if (flags.namespace !== undefined && own !== undefined && own !== flags.namespace) {
          throw new CliError(
            `${where}: the namespace of the Workflow (${own}) does not match the namespace given with -n (${flags.namespace})`,
            ExitCode.usage,
          );
        }
        const { uid: _uid, resourceVersion: _rv, ...metadata } = wf.metadata;
        return {
          apiVersion: wf.apiVersion,
          kind: wf.kind,
          spec: wf.spec,
          metadata: { ...metadata, namespace: own ?? target.namespace },
        };
      });
      const namespaces = new Set(workflows.map((wf) => wf.metadata.namespace));
      if (flags.wait && namespaces.size > 1)
        throw new CliError(
          `--wait follows one namespace at a time; ${file} spans ${[...namespaces].join(', ')}`,
          ExitCode.usage,
        );

      const client = new WorkflowClient(target.kubeConfig);
      const created = [];
      for (const wf of workflows) {
        const stored = await client.create(wf);
        created.push(stored);
        if (flags.output === undefined) process.stdout.write(`${workflowName(stored)} created\n`);
      }
      if (flags.output !== undefined)
        process.stdout.write(renderWorkflows(created, { format: flags.output, headers: true }));
      if (!flags.wait) return;

      const progress = progressWriter();
      const result = await followWorkflows({
        target: { ...target, namespace: [...namespaces][0] ?? target.namespace },
        names: created.map((wf) => wf.metadata.name),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        onUpdate: (current) =>
          progress.update(
            current.map((wf) => progressLine(wf)),
            current.map((wf) => `${wf.metadata.name} ${phaseOf(wf)} ${wf.status?.progress ?? ''}`),
          ),
      }).finally(() => progress.end());
      const { exitCode, failures } = outcome(result);
      if (exitCode !== ExitCode.ok)
        throw new CliError(`did not succeed:\n${failures.map((f) => `  ${f}`).join('\n')}`, exitCode);
      process.stderr.write(`${created.length === 1 ? 'Succeeded' : `all ${created.length} Succeeded`}\n`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}
