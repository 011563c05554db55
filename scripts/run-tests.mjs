#!/usr/bin/env node
// Runs every test with Node's own runner through tsx: unit tests beside the code (src/,
// shard-manager/) and integration and fault tests under test/. Arguments narrow the run to
// files whose path contains one of them: `npm run test:only -- apiserver engine`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, delimiter, resolve } from 'node:path';

const roots = ['src', 'shard-manager', 'sandbox', 'test'];
const filters = process.argv.slice(2);

function findTests(dir) {
  let found = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const files = roots
  .flatMap(findTests)
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`run-tests: no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const env = { ...process.env, PATH: `${resolve('.tools/bin')}${delimiter}${process.env.PATH ?? ''}` };
// Fleet-sized tests (the fault suite, the sandbox runs, the Redis Cluster and Sentinel groups) each start Redis, an API server and several
// replica processes: they run after the rest, two at a time, so two cores are not shared by six
// fleets at once (leases are timed; a starved fleet measures the machine, not the code).
const heavy = (f) => /(^|[/\\])test[/\\](faults|sandbox|redis)[/\\]/.test(f);
const phases = [
  { files: files.filter((f) => !heavy(f)), concurrency: process.env.FLOTILLA_TEST_CONCURRENCY ?? '3' },
  { files: files.filter(heavy), concurrency: process.env.FLOTILLA_HEAVY_TEST_CONCURRENCY ?? '2' },
].filter((p) => p.files.length > 0);
let status = 0;
for (const phase of phases) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${phase.concurrency}`, '--test-reporter=spec', ...phase.files],
    { stdio: 'inherit', env },
  );
  if ((result.status ?? 1) !== 0) status = result.status ?? 1;
}
process.exit(status);
