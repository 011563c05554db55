/** The one kubeconfig loader: flag, $KUBECONFIG, in-cluster, the sandbox's file, ~/.kube/config. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { KubeError } from './errors.js';
import { loadKubeConfig, resolveKubeConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'flotilla-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A kubeconfig with one context per server, the first one current. */
function kubeconfig(file: string, servers: Record<string, string>): string {
  const names = Object.keys(servers);
  const yaml = [
    'apiVersion: v1',
    'kind: Config',
    `current-context: ${names[0]}`,
    'clusters:',
    ...names.map((n) => `- name: ${n}\n  cluster:\n    server: ${servers[n]}`),
    'users:',
    `- name: user-${names[0]}\n  user:\n    token: t`,
    'contexts:',
    ...names.map((n) => `- name: ${n}\n  context:\n    cluster: ${n}\n    user: user-${names[0]}`),
  ].join('\n');
  const path = join(dir, file);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `${yaml}\n`);
  return path;
}

const server = (r: ReturnType<typeof resolveKubeConfig>) => r.kubeConfig.getCurrentCluster()?.server;

describe('resolveKubeConfig', () => {
  const flag = kubeconfig('flag.yaml', { flag: 'https://127.0.0.1:1001', other: 'https://127.0.0.1:1002' });
  const fromEnv = kubeconfig('env.yaml', { env: 'https://127.0.0.1:2001' });
  const cwd = join(dir, 'work');
  kubeconfig('work/.flotilla/kubeconfig', { sandbox: 'https://127.0.0.1:3001' });
  const home = join(dir, 'home');
  kubeconfig('home/.kube/config', { home: 'https://127.0.0.1:4001' });

  test('the flag wins over everything', () => {
    const r = resolveKubeConfig({ file: flag, env: { KUBECONFIG: fromEnv, HOME: home }, cwd });
    assert.equal(server(r), 'https://127.0.0.1:1001');
    assert.equal(r.source, flag);
  });

  test('then $KUBECONFIG, then the sandbox file in the working directory, then ~/.kube/config', () => {
    assert.equal(
      server(resolveKubeConfig({ env: { KUBECONFIG: fromEnv, HOME: home }, cwd })),
      'https://127.0.0.1:2001',
    );
    assert.equal(server(resolveKubeConfig({ env: { HOME: home }, cwd })), 'https://127.0.0.1:3001');
    assert.equal(server(resolveKubeConfig({ env: { HOME: home }, cwd: dir })), 'https://127.0.0.1:4001');
  });

  test('in a cluster (KUBERNETES_SERVICE_HOST) the service account comes before local files; without its token it is an error naming it', () => {
    assert.throws(
      () =>
        resolveKubeConfig({
          env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', HOME: home },
          cwd,
        }),
      (error: unknown) =>
        error instanceof KubeError && error.code === 'Invalid' && /in-cluster service account/.test(error.message),
    );
  });

  test('--context picks another context; an unknown one is an error naming it', () => {
    assert.equal(server(resolveKubeConfig({ file: flag, context: 'other' })), 'https://127.0.0.1:1002');
    assert.throws(
      () => resolveKubeConfig({ file: flag, context: 'nope' }),
      (error: unknown) => error instanceof KubeError && /has no context nope/.test(error.message),
    );
  });

  test('a missing file and no kubeconfig at all are errors that say what to do', () => {
    assert.throws(
      () => resolveKubeConfig({ file: join(dir, 'absent.yaml') }),
      (error: unknown) => error instanceof KubeError && /absent\.yaml does not exist/.test(error.message),
    );
    assert.throws(
      () => resolveKubeConfig({ env: { HOME: join(dir, 'nobody') }, cwd: join(dir, 'nowhere') }),
      (error: unknown) =>
        error instanceof KubeError && /no kubeconfig found \(tried: .*\): pass --kubeconfig FILE/.test(error.message),
    );
  });

  test('$KUBECONFIG may list several files; the first one names the current context', () => {
    const r = resolveKubeConfig({ env: { KUBECONFIG: `${fromEnv}:${flag}`, HOME: home }, cwd });
    assert.equal(server(r), 'https://127.0.0.1:2001');
    assert.ok(r.kubeConfig.getContextObject('other'), 'contexts of the second file are merged');
  });
});

describe('loadKubeConfig', () => {
  test('YAML text without a current cluster is refused', () => {
    assert.throws(
      () => loadKubeConfig({ yaml: 'apiVersion: v1\nkind: Config\n' }),
      (error: unknown) => error instanceof KubeError && /no current cluster/.test(error.message),
    );
  });
});
