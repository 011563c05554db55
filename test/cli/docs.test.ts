/**
 * docs/cli.md is generated from the commands' own help (`npm run docs:cli`): the committed file is
 * current. And both CLIs in a checkout print the package's version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('docs/cli.md matches the help of every command', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/docs-cli.ts', '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, USER: 'someone-else', POD_NAME: 'pod-x' },
  });
  assert.equal(result.status, 0, result.stderr);
});

test('flotilla --version and shardctl --version print the version of package.json', () => {
  const { version } = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
  for (const bin of ['flotilla', 'shardctl']) {
    const result = spawnSync(process.execPath, [`bin/${bin}.mjs`, '--version'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `${version}\n`);
  }
});
