/**
 * The `flotilla` command line. Each subcommand lives in `commands/<name>.ts` and is registered
 * in `commands/index.ts`; its implementation is imported only when it runs, so `flotilla run`
 * does not pay for the API server and the API server does not pay for the engine.
 */
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { runProgram } from './run-program.js';

export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('flotilla').description('A sharded workflow-execution controller for Kubernetes');
  registerCommands(program);
  await runProgram(program, argv);
}
