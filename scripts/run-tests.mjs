#!/usr/bin/env node
// Runs every test with Node's own runner through tsx: unit tests beside the code (src/,
// shard-manager/) and integration and fault tests under test/. Arguments narrow the run to
// files whose path contains one of them: `npm run test:only -- apiserver engine`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, delimiter, resolve } from 'node:path';

const roots = ['src', 'shard-manager', 'test'];
const filters = process.argv.slice(2);

function findTests(dir) {
  let found = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return found; }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const files = roots.flatMap(findTests).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error(`run-tests: no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const env = { ...process.env, PATH: `${resolve('.tools/bin')}${delimiter}${process.env.PATH ?? ''}` };
const concurrency = process.env.FLOTILLA_TEST_CONCURRENCY ?? '3';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
