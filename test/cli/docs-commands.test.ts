/**
 * The commands in the operator docs are real: in every ```sh block of quickstart.md,
 * troubleshooting.md and upgrade.md (and the chart's README), a `flotilla` / `shardctl` line names
 * existing subcommands and only their flags (from the commands' own definitions), and a
 * `helm install|upgrade … charts/flotilla` line sets only values that exist in values.yaml.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/flotilla.js';
import { buildProgram as buildShardctl } from '../../src/cli/shardctl/shardctl.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = ['docs/quickstart.md', 'docs/troubleshooting.md', 'docs/upgrade.md', 'charts/flotilla/README.md'];

/** Shell command lines of the ```sh blocks, continuation lines joined, comments dropped. */
function shellLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = (block[1] ?? '').replace(/\\\n\s*/g, ' ');
    for (const raw of joined.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (line !== '' && !line.startsWith('#')) lines.push(line);
    }
  }
  return lines;
}

/** What is wrong with a `flotilla …` / `shardctl …` command line (empty: nothing). */
function cliProblems(program: Command, words: readonly string[]): string[] {
  const problems: string[] = [];
  let command = program;
  const flags = new Set<string>();
  const addFlags = (c: Command) => {
    for (const o of c.options) {
      if (o.long) flags.add(o.long);
      if (o.short) flags.add(o.short);
      if (o.negate && o.long) flags.add(o.long);
    }
  };
  addFlags(command);
  let positional = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word.startsWith('-') && word !== '-') {
      const flag = word.split('=')[0] ?? word;
      if (!flags.has(flag) && flag !== '--help' && flag !== '-h') problems.push(`unknown flag ${flag}`);
      const option = [command, program].flatMap((c) => c.options).find((o) => o.long === flag || o.short === flag);
      if (option?.required && !word.includes('=')) i++; // its value
      continue;
    }
    const sub = positional ? undefined : command.commands.find((c) => c.name() === word);
    if (sub) {
      command = sub;
      addFlags(sub);
    } else {
      if (command === program) problems.push(`unknown command ${word}`);
      positional = true;
    }
  }
  return problems;
}

function hasPath(values: unknown, path: string): boolean {
  let v = values;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null || !(part in v)) return false;
    v = (v as Record<string, unknown>)[part];
  }
  return true;
}

describe('commands in the operator docs', () => {
  const programs = { flotilla: buildProgram(), shardctl: buildShardctl() };
  const values = parse(readFileSync(`${ROOT}charts/flotilla/values.yaml`, 'utf8')) as unknown;

  test('the checker notices an unknown flag, subcommand or value (not vacuous)', () => {
    assert.deepEqual(cliProblems(programs.flotilla, ['get', '--nope']), ['unknown flag --nope']);
    assert.deepEqual(cliProblems(programs.shardctl, ['frobnicate']), ['unknown command frobnicate']);
    assert.deepEqual(cliProblems(programs.shardctl, ['-n', 'x', 'status', '--watch']), []);
    assert.equal(hasPath(values, 'crds.keep'), true);
    assert.equal(hasPath(values, 'crds.nope'), false);
  });

  for (const doc of DOCS) {
    test(`${doc}: every flotilla, shardctl and helm command is real`, () => {
      const lines = shellLines(readFileSync(`${ROOT}${doc}`, 'utf8'));
      assert.ok(lines.length > 0, 'has commands');
      const problems: string[] = [];
      let checked = 0;
      for (const line of lines) {
        for (const part of line.split(/\s*(?:\||&&)\s*/)) {
          const words = part.split(/\s+/);
          const [head, ...rest] = words;
          if (head === 'flotilla' || head === 'shardctl' || head === 'helm') checked++;
          if (head === 'flotilla' || head === 'shardctl')
            problems.push(...cliProblems(programs[head], rest).map((p) => `${part}: ${p}`));
          if (head === 'helm' && (rest[0] === 'install' || rest[0] === 'upgrade')) {
            for (let i = 0; i < rest.length; i++) {
              if (rest[i] !== '--set') continue;
              const key = (rest[i + 1] ?? '').split('=')[0] ?? '';
              if (!hasPath(values, key)) problems.push(`${part}: no value ${key} in values.yaml`);
            }
          }
        }
      }
      assert.deepEqual(problems, []);
      assert.ok(checked > 0, 'some flotilla, shardctl or helm command was checked');
    });
  }
});
