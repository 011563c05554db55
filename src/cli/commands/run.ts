/**
 * `flotilla run FILE.yaml [--inputs JSON] [--signal name=value ...] [-o yaml|json] [--clock virtual|real] [--blob-store URL]`:
 * validates a Workflow and executes it in-process (in-process plugins, simulated pods), then
 * prints its final status. Exit 0 when it Succeeded, 1 otherwise, 2 for invalid input (every
 * validation issue printed as `path: message`). A FlyteWorkflow (`flyte.lyft.com/v1alpha1`) runs
 * on the same engine through its translation (./run-flyte.ts), its data in a blob store.
 */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';

interface RunFlags {
  inputs?: string;
  signal: string[];
  output: string;
  clock: string;
  blobStore?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseJsonish(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseInputs(text: string): Record<string, never> {
  let extra: unknown;
  try {
    extra = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `--inputs is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      ExitCode.usage,
      { cause: error },
    );
  }
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra))
    throw new CliError('--inputs must be a JSON object', ExitCode.usage);
  return extra as Record<string, never>;
}

function parseSignals(pairs: readonly string[]): Record<string, never> {
  const signals: Record<string, never> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`--signal expects name=value, got ${JSON.stringify(pair)}`, ExitCode.usage);
    signals[pair.slice(0, at)] = parseJsonish(pair.slice(at + 1)) as never;
  }
  return signals;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Execute one Workflow in-process (no cluster) and print its final status')
    .argument('<file>', 'a Workflow manifest (YAML or JSON)')
    .option('--inputs <json>', 'a JSON object merged over spec.inputs')
    .option(
      '--signal <name=value>',
      'set a gate signal (value is JSON when it parses, else a string); repeatable',
      collect,
      [],
    )
    .option('-o, --output <format>', 'yaml or json', 'yaml')
    .option('--clock <kind>', 'virtual (jumps over waits) or real', 'virtual')
    .option(
      '--blob-store <url>',
      'FlyteWorkflow only: where node data goes (file:///dir, a directory, s3://bucket/prefix); default a new temporary directory',
    )
    .action(async (file: string, flags: RunFlags) => {
      const { readFile } = await import('node:fs/promises');
      const YAML = await import('yaml');
      const { validateWorkflow } = await import('../../api/validation/index.js');
      const { runLocal } = await import('../../engine/local-runner.js');
      const { localPlugins } = await import('../../plugins/local.js');
      const { shortHash } = await import('../../api/names.js');
      if (flags.output !== 'yaml' && flags.output !== 'json')
        throw new CliError(`--output must be yaml or json, not ${flags.output}`, ExitCode.usage);
      if (flags.clock !== 'virtual' && flags.clock !== 'real')
        throw new CliError(`--clock must be virtual or real, not ${flags.clock}`, ExitCode.usage);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new CliError(
          `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.usage,
          { cause: error },
        );
      }
      let document: unknown;
      try {
        document = YAML.parse(text);
      } catch (error) {
        throw new CliError(
          `${file} is not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.usage,
          { cause: error },
        );
      }
      const { isFlyteDocument, runFlyteFile } = await import('./run-flyte.js');
      const flyte = isFlyteDocument(document);
      if (flyte) {
        await runFlyteFile(document, {
          file,
          output: flags.output,
          clock: flags.clock,
          signals: parseSignals(flags.signal),
          ...(flags.inputs !== undefined ? { inputs: parseInputs(flags.inputs) } : {}),
          ...(flags.blobStore !== undefined ? { blobStore: flags.blobStore } : {}),
        });
        return;
      }
      if (typeof document === 'object' && document !== null && !Array.isArray(document) && flags.inputs !== undefined) {
        let extra: unknown;
        try {
          extra = JSON.parse(flags.inputs);
        } catch (error) {
          throw new CliError(
            `--inputs is not JSON: ${error instanceof Error ? error.message : String(error)}`,
            ExitCode.usage,
            { cause: error },
          );
        }
        if (typeof extra !== 'object' || extra === null || Array.isArray(extra))
          throw new CliError('--inputs must be a JSON object', ExitCode.usage);
        const doc = document as { spec?: { inputs?: Record<string, unknown> } };
        if (typeof doc.spec === 'object' && doc.spec !== null)
          doc.spec.inputs = { ...(doc.spec.inputs ?? {}), ...(extra as Record<string, unknown>) };
      }
      const signals: Record<string, never> = {};
      for (const pair of flags.signal) {
        const at = pair.indexOf('=');
        if (at <= 0) throw new CliError(`--signal expects name=value, got ${JSON.stringify(pair)}`, ExitCode.usage);
        signals[pair.slice(0, at)] = parseJsonish(pair.slice(at + 1)) as never;
      }
      const validation = validateWorkflow(document);
      if (!validation.ok) {
        const lines = validation.issues.map((issue) => `${issue.path}: ${issue.message}`);
        throw new CliError(`${file} is not a valid Workflow:\n${lines.join('\n')}`, ExitCode.usage);
      }
      const input = validation.workflow;
      const name = input.metadata.name;
      const namespace = input.metadata.namespace ?? 'default';
      const workflow = {
        ...input,
        apiVersion: 'flotilla.io/v1alpha1' as const,
        kind: 'Workflow' as const,
        metadata: {
          ...input.metadata,
          name,
          namespace,
          uid: input.metadata.uid ?? `local-${shortHash(`${namespace}/${name}`)}`,
          generation: input.metadata.generation ?? 1,
        },
      };
      delete workflow.status;
      const result = await runLocal({ workflow, signals, clock: flags.clock, plugins: localPlugins });
      const status = result.workflow.status ?? {};
      process.stdout.write(flags.output === 'json' ? `${JSON.stringify(status, null, 2)}\n` : YAML.stringify(status));
      if (result.stalled !== undefined)
        throw new CliError(`workflow ${name} did not finish: ${result.stalled}`, ExitCode.failed);
      if (status.phase !== 'Succeeded')
        throw new CliError(
          `workflow ${name} ${status.phase ?? 'did not finish'}: ${status.message ?? ''}`.trim(),
          ExitCode.failed,
        );
    });
}
