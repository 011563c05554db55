/**
 * Errors that name their cause and what to do next, in both CLIs and in a replica's log, against
 * the real embedded API server:
 * - a kubeconfig whose CA does not sign the server's certificate: TLS verification and host:port;
 * - a restricted identity (the server's `users` option, authorized by stored RBAC objects): the
 *   API server's RBAC message verbatim, and the permission granted by a RoleBinding works;
 * - no kubeconfig anywhere: the places tried and how to get one;
 * - connection refused (host:port is covered in workflows.test.ts): the next step.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { CRD_FILE } from '../../src/api/crd.js';
import { createCertificateAuthority } from '../../src/security/certs.js';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { freePort } from '../support/ports.js';
import { RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ALICE_TOKEN = 'alice-token-0123456789';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(
  bin: 'flotilla' | 'shardctl',
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, `bin/${bin}.mjs`), ...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface KubeconfigDoc {
  clusters: { cluster: Record<string, string> }[];
  users: { user: Record<string, string> }[];
}

let api: TestApiServer;
let dir: string;
let hostPort: string;
/** The server's kubeconfig with its CA swapped for another one. */
let wrongCa: string;
/** The server's kubeconfig with alice's token. */
let alice: string;

before(async () => {
  api = await startTestApiServer({ users: [{ token: ALICE_TOKEN, name: 'alice' }] });
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-errors-'));
  hostPort = new URL(api.server.url).host;
  const applied = await api.kubectl(['apply', '-f', join(ROOT, CRD_FILE)]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal((await api.kubectl(['create', 'namespace', 'flotilla-system'])).code, 0);
  const base = readFileSync(api.kubeconfigPath, 'utf8');

  const other = await createCertificateAuthority({ commonName: 'some-other-cluster-ca' });
  const tls = parse(base) as KubeconfigDoc;
  for (const c of tls.clusters) c.cluster['certificate-authority-data'] = Buffer.from(other.certPem).toString('base64');
  wrongCa = join(dir, 'wrong-ca');
  writeFileSync(wrongCa, stringify(tls));

  const restricted = parse(base) as KubeconfigDoc;
  for (const u of restricted.users) u.user['token'] = ALICE_TOKEN;
  alice = join(dir, 'alice');
  writeFileSync(alice, stringify(restricted));
});
after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS verification failure', () => {
  test('flotilla and shardctl name TLS verification, the host:port and the next step', async () => {
    for (const [bin, args] of [
      ['flotilla', ['get', '--kubeconfig', wrongCa]],
      ['shardctl', ['--kubeconfig', wrongCa, 'status']],
    ] as const) {
      const r = await cli(bin, args);
      assert.equal(r.code, 1, `${bin}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`TLS verification failed \\([A-Z_]+\\) talking to the API server at ${hostPort}`),
      );
      assert.match(r.stderr, /next: the kubeconfig's certificate-authority does not sign the certificate/);
    }
  });
});

describe('RBAC: a restricted identity', () => {
  test('the API server refuses with its own message, which both CLIs print verbatim with the next step', async () => {
    const status = await cli('shardctl', ['--kubeconfig', alice, 'status']);
    assert.equal(status.code, 1, status.stderr);
    assert.ok(
      status.stderr.includes(
        'leases.coordination.k8s.io is forbidden: User "alice" cannot list resource "leases" in API group "coordination.k8s.io" in the namespace "flotilla-system"',
      ),
      status.stderr,
    );
    assert.match(status.stderr, /next: .*kubectl auth can-i --list/);

    const get = await cli('flotilla', ['get', '--kubeconfig', alice, '-n', 'team-a']);
    assert.equal(get.code, 1, get.stderr);
    assert.ok(
      get.stderr.includes(
        'workflows.flotilla.io is forbidden: User "alice" cannot list resource "workflows" in API group "flotilla.io" in the namespace "team-a"',
      ),
      get.stderr,
    );
  });

  test('a Role bound to the identity grants exactly its rules', async () => {
    assert.equal((await api.kubectl(['create', 'namespace', 'team-a'])).code, 0);
    for (const object of [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'workflow-reader', namespace: 'team-a' },
        rules: [{ apiGroups: ['flotilla.io'], resources: ['workflows'], verbs: ['get', 'list', 'watch'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'alice-reads', namespace: 'team-a' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'workflow-reader' },
        subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    ]) {
      const granted = await api.kubectl(['apply', '-f', '-'], { input: JSON.stringify(object) });
      assert.equal(granted.code, 0, granted.stderr);
    }
    const get = await cli('flotilla', ['get', '--kubeconfig', alice, '-n', 'team-a']);
    assert.equal(get.code, 0, get.stderr);
    const elsewhere = await cli('flotilla', ['get', '--kubeconfig', alice, '-n', 'default']);
    assert.equal(elsewhere.code, 1);
    assert.match(
      elsewhere.stderr,
      /cannot list resource "workflows" in API group "flotilla\.io" in the namespace "default"/,
    );
    const abort = await cli('flotilla', ['abort', 'x', '--kubeconfig', alice, '-n', 'team-a']);
    assert.equal(abort.code, 1);
    assert.match(abort.stderr, /User "alice" cannot (get|delete) resource "workflows"/);
  });
});

describe('no kubeconfig', () => {
  test('names every place tried and how to get one (usage error, exit 2)', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: empty };
    for (const [bin, args] of [
      ['flotilla', ['get']],
      ['shardctl', ['status']],
    ] as const) {
      const r = await cli(bin, args, { cwd: empty, env });
      assert.equal(r.code, 2, `${bin}: ${r.stderr}`);
      assert.match(r.stderr, /no kubeconfig found \(tried: --kubeconfig, not given; \$KUBECONFIG, not set;/);
      assert.ok(r.stderr.includes(join(empty, '.flotilla/kubeconfig')), r.stderr);
      assert.ok(r.stderr.includes(join(empty, '.kube/config')), r.stderr);
      assert.match(r.stderr, /pass --kubeconfig FILE, set KUBECONFIG, or start the local sandbox \(npm run sandbox\)/);
    }
  });
});

describe('connection refused', () => {
  test('the CLI adds what to check next', async () => {
    const port = await freePort();
    const refused = join(dir, 'refused');
    writeFileSync(
      refused,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'x',
        clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}` } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      }),
    );
    const r = await cli('shardctl', ['--kubeconfig', refused, 'status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`connection refused \\(ECONNREFUSED\\).*127\\.0\\.0\\.1:${port}`));
    assert.match(r.stderr, new RegExp(`next: check that the API server at 127\\.0\\.0\\.1:${port} is running`));
  });
});

describe("a replica's log names the cause", () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start({ persist: false });
  });
  after(async () => {
    await redis.stop();
  });

  async function replicaLog(kubeconfig: string, until: (log: string) => boolean, what: string): Promise<string> {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/flotilla.mjs'),
        'controller',
        '--kubeconfig',
        kubeconfig,
        '--redis',
        redis.url,
        '--shards',
        '0',
        '--metrics-port',
        '0',
        '--log-level',
        'warn',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (log += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    try {
      await waitFor(() => until(log), { what, timeoutMs: 45_000 });
      return log;
    } finally {
      child.kill('SIGKILL');
    }
  }

  test('TLS verification failure, with host:port and the next step', async () => {
    const log = await replicaLog(
      wrongCa,
      (l) => l.includes('TLS verification failed') && l.includes('"next"'),
      'replica logs the TLS failure',
    );
    assert.match(log, new RegExp(`TLS verification failed \\([A-Z_]+\\) talking to the API server at ${hostPort}`));
    assert.match(log, /"next":"the kubeconfig's certificate-authority does not sign/);
  });

  test("RBAC: the API server's message verbatim", async () => {
    const log = await replicaLog(alice, (l) => l.includes('is forbidden: User \\"alice\\"'), 'replica logs the 403');
    assert.match(
      log,
      // Whichever informer asks first (Workflows, PodTemplates...), in the real server's words.
      /[a-z.]+ is forbidden: User \\"alice\\" cannot (list|watch) resource \\"[a-z]+\\" in API group \\"[a-z.]*\\" (in the namespace \\"[a-z-]+\\"|at the cluster scope)/,
    );
    assert.match(log, /"next":"the kubeconfig's identity lacks this permission/);
  });
});
