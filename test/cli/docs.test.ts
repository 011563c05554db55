/** docs/cli.md is generated from the commands' own help (`npm run docs:cli`): the committed file is current. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('docs/cli.md matches the help of every command', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/docs-cli.ts', '--check'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, USER: 'someone-else', POD_NAME: 'pod-x' } });
  assert.equal(result.status, 0, result.stderr);
});
