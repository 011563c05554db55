import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { Command, Option } from 'commander';
import { completionScript } from './completion.js';
import { buildProgram } from './flotilla.js';
import { buildProgram as buildShardctl } from './shardctl/shardctl.js';

function program(): Command {
  const p = new Command('demo').option('--kubeconfig <file>');
  p.command('get')
    .addOption(new Option('-o, --output <format>').choices(['table', 'yaml']))
    .option('--watch');
  const fleet = p.command('fleet');
  fleet.command('drain').option('--wait');
  return p;
}

/** What bash completes for the words typed so far (the last one being completed). */
function complete(words: string[], of: Command = program()): string[] {
  const script = `${completionScript(of, 'bash')}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_${of.name()}; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', script], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l !== '');
}

describe('completion', () => {
  test('bash: subcommands, options by command path, option choices', () => {
    assert.deepEqual(complete(['demo', '']), ['get', 'fleet', '--kubeconfig', '--help']);
    assert.deepEqual(complete(['demo', 'g']), ['get']);
    assert.deepEqual(complete(['demo', 'get', '--']), ['--kubeconfig', '--output', '--watch', '--help']);
    assert.deepEqual(complete(['demo', 'get', '-o', '']), ['table', 'yaml']);
    assert.deepEqual(complete(['demo', '--kubeconfig', 'k', 'fleet', 'drain', '--w']), ['--wait']);
  });

  test('zsh: a #compdef script that parses', () => {
    const script = completionScript(program(), 'zsh');
    assert.match(script, /^#compdef demo\n/);
    assert.match(script, /compdef _demo demo\n$/);
    const zsh = spawnSync('zsh', ['-n', '-c', script]);
    if (zsh.error === undefined) assert.equal(zsh.status, 0, zsh.stderr.toString());
  });

  test('the real trees: flotilla get -o, shardctl status options', () => {
    assert.deepEqual(complete(['flotilla', 'get', '-o', 'y'], buildProgram()), ['yaml']);
    assert.ok(complete(['flotilla', ''], buildProgram()).includes('submit'));
    assert.ok(complete(['shardctl', 'status', '--'], buildShardctl()).includes('--watch'));
    assert.ok(complete(['shardctl', 'status', '--'], buildShardctl()).includes('--no-headers'));
  });
});
