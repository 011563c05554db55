import { type Command, CommanderError } from 'commander';
import { ExitCode, exitCodeFor } from './exit.js';
import { KubeError } from '../kube/errors.js';

/**
 * Parses and runs a commander program, turning every failure into a message on stderr and an exit
 * code: usage errors exit 2 (commander's own default is 1, which scripts cannot tell from a
 * failed operation), operational failures exit 1 or the code a `CliError` carries.
 */
export async function runProgram(program: Command, argv: readonly string[]): Promise<void> {
  // Subcommands copy these settings only when created after them, so apply them to every level.
  const configure = (command: Command): void => {
    command.exitOverride().showHelpAfterError('(run with --help for usage)');
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      const informational =
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help';
      process.exitCode = informational ? ExitCode.ok : ExitCode.usage;
      return;
    }
    process.stderr.write(`${program.name()}: ${error instanceof Error ? error.message : String(error)}\n`);
    const next = nextStepOf(error);
    if (next !== undefined) process.stderr.write(`${program.name()}: next: ${next}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

/** The `nextStep` of the first KubeError in the error's cause chain (a CliError often wraps one). */
function nextStepOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof KubeError && current.nextStep !== undefined) return current.nextStep;
    current = current.cause;
  }
  return undefined;
}
