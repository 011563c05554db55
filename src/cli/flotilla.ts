/**
 * The `flotilla` command line. Each subcommand lives in `commands/<name>.ts` and is registered
 * in `commands/index.ts`; its implementation is imported only when it runs, so `flotilla run`
 * does not pay for the API server and the API server does not pay for the engine.
 *
 * The sandbox's commands (`sandbox`, `apiserver`) are not here: the sandbox is its own package
 * (`sandbox/`), left out of the production build, and adds them through `extraCommands` when the
 * CLI runs from a checkout (`sandbox/cli.ts`).
 */
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { runProgram } from './run-program.js';
import { registerCompletion } from './completion.js';
import { packageVersion } from './version.js';

export type RegisterCommands = (program: Command) => void;

export function buildProgram(extraCommands: readonly RegisterCommands[] = []): Command {
  const program = new Command('flotilla')
    .description('A sharded workflow-execution controller for Kubernetes')
    .version(packageVersion(), '--version', 'print the version');
  for (const register of extraCommands) register(program);
  registerCommands(program);
  registerCompletion(program);
  return program;
}

export async function main(argv: readonly string[], extraCommands: readonly RegisterCommands[] = []): Promise<void> {
  await runProgram(buildProgram(extraCommands), argv);
}
