/**
 * `shardctl`: the operator's CLI for the shard manager. Subcommands live beside this file.
 */
import { Command } from 'commander';
import { runProgram } from '../../src/cli/run-program.js';

export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('shardctl').description('Inspect and move the shards of a flotilla fleet');
  await runProgram(program, argv);
}
