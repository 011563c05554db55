/**
 * The npm package as a user gets it: `npm pack` (whose `prepack` builds dist/), then
 * `npm install` of the tarball into an empty directory, and both CLIs run from there: `--version`,
 * `--help`, `shardctl status` against the embedded API server. The package is packed from a copy
 * of the checkout's package files (sharing its node_modules for the build), so the test leaves the
 * checkout's dist/ alone. Dependencies come from the npm cache when it has them
 * (`--prefer-offline`), else from the registry.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import type { FleetStatus } from '../../shard-manager/fleet-status.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NS = 'flotilla-system';

let dir: string;
let installed: string;
let tarballFiles: string[];
let api: TestApiServer;

async function cli(
  bin: 'flotilla' | 'shardctl',
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // From the empty install directory: no checkout around, no ./.flotilla/kubeconfig.
    const { stdout, stderr } = await run(join(installed, 'node_modules/.bin', bin), args, {
      cwd: installed,
      timeout: 30_000,
      env: { ...process.env, KUBECONFIG: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-pack-'));
  const source = join(dir, 'source');
  mkdirSync(source);
  for (const entry of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'README.md',
    'LICENSE',
    'bin',
    'src',
    'shard-manager',
    'scripts',
    'examples/agent',
    'charts/flotilla/files/crds',
  ]) {
    cpSync(join(ROOT, entry), join(source, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
  const packed = join(dir, 'packed');
  mkdirSync(packed);
  const npmEnv = {
    ...process.env,
    npm_config_loglevel: 'error',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  await run('npm', ['pack', '--pack-destination', packed], { cwd: source, env: npmEnv, timeout: 150_000 });
  const [tarball] = readdirSync(packed).filter((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote a tarball');
  tarballFiles = (await run('tar', ['tzf', join(packed, tarball)])).stdout.split('\n').filter((f) => f !== '');
  installed = join(dir, 'installed');
  mkdirSync(installed);
  await run('npm', ['install', '--prefix', installed, '--prefer-offline', '--omit=dev', join(packed, tarball)], {
    cwd: installed,
    env: npmEnv,
    timeout: 150_000,
  });
  api = await startTestApiServer();
  await api.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  const leases = new LeaseClient(api.kc, NS);
  const now = Date.now();
  await leases.create('flotilla-member-r1', 'member', {
    holderIdentity: 'r1',
    leaseDurationSeconds: 60,
    renewTimeMs: now,
    acquireTimeMs: now,
  });
  await leases.create('flotilla-shard-0', 'shard', {
    holderIdentity: 'r1',
    leaseDurationSeconds: 60,
    renewTimeMs: now,
    acquireTimeMs: now,
    annotations: { 'flotilla.io/assigned-to': 'r1' },
  });
});

after(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  test('holds bin/, the built dist/ and the CRDs, and nothing of the sources, tests or sandbox', () => {
    assert.ok(tarballFiles.includes('package/bin/flotilla.mjs'));
    assert.ok(tarballFiles.includes('package/dist/src/cli/flotilla.js'));
    assert.ok(
      tarballFiles.includes('package/dist/src/events/sink/record.lua'),
      'runtime assets are copied beside the modules',
    );
    assert.ok(tarballFiles.includes('package/LICENSE'));
    const unwanted = tarballFiles.filter(
      (f) =>
        /^package\/(src|sandbox|test|bench|scripts|shard-manager)\//.test(f) ||
        /sandbox|\.test\.js|\.ts$|\.map$/.test(f),
    );
    assert.deepEqual(unwanted, []);
  });

  test('installs with production dependencies only (no tsx, no TypeScript)', () => {
    const modules = join(installed, 'node_modules');
    assert.ok(existsSync(join(modules, 'flotilla/dist/src/cli/shardctl/shardctl.js')));
    assert.ok(existsSync(join(modules, 'commander')));
    assert.equal(existsSync(join(modules, 'tsx')), false);
    assert.equal(existsSync(join(modules, 'typescript')), false);
    assert.equal(existsSync(join(modules, 'flotilla/src')), false);
  });

  test('both CLIs answer --version with the package version and --help', async () => {
    for (const bin of ['flotilla', 'shardctl'] as const) {
      const v = await cli(bin, '--version');
      assert.equal(v.code, 0, v.stderr);
      assert.equal(v.stdout.trim(), version);
    }
    const help = await cli('flotilla', '--help');
    assert.equal(help.code, 0, help.stderr);
    for (const command of ['submit', 'get', 'watch', 'logs', 'abort', 'controller', 'completion'])
      assert.match(help.stdout, new RegExp(`\\n  ${command} `));
    assert.doesNotMatch(help.stdout, /\n {2}sandbox /, 'the sandbox is not in the package');
    const shardctlHelp = await cli('shardctl', '--help');
    assert.equal(shardctlHelp.code, 0, shardctlHelp.stderr);
    assert.match(shardctlHelp.stdout, /\n {2}status /);
  });

  test('shardctl status runs against the embedded API server from the install', async () => {
    const json = await cli('shardctl', '--kubeconfig', api.kubeconfigPath, 'status', '-o', 'json');
    assert.equal(json.code, 0, json.stderr);
    const fleet = JSON.parse(json.stdout) as FleetStatus;
    assert.equal(fleet.namespace, NS);
    assert.deepEqual(
      fleet.shards.map((s) => [s.shard, s.owner]),
      [['0', 'r1']],
    );
    const table = await cli('shardctl', '--kubeconfig', api.kubeconfigPath, 'status');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^SHARD {3}OWNER {3}/m);
  });
});
