/** `flotilla controller` flags: every documented flag exists; bad input exits 2 with a clear message. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete childEnv.FLOTILLA_REDIS_URL;
    delete childEnv.FLOTILLA_BLOB_STORE;
    execFile(
      process.execPath,
      [join(ROOT, 'bin/flotilla.mjs'), 'controller', ...args],
      { cwd: ROOT, env: childEnv, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? null : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('flotilla controller flags', () => {
  test('--help lists exactly the flags the Helm chart and the docs rely on', async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    for (const flag of [
      '--kubeconfig',
      '--redis',
      '--replica-id',
      '--fleet-namespace',
      '--shard-count',
      '--strategy',
      '--namespaces',
      '--shards',
      '--manager',
      '--concurrency',
      '--metrics-host',
      '--metrics-port',
      '--event-sink',
      '--event-sink-tls-ca',
      '--event-sink-token-file',
      '--agent',
      '--install-crd',
      '--workflow-ttl',
      '--log-level',
      '--audit-log',
      '--flyte',
      '--blob-store',
      '--install-flyte-crd',
      '--catalog-endpoint',
      '--catalog-insecure',
      '--catalog-ca',
      '--catalog-max-cache-age',
    ]) {
      assert.match(stdout, new RegExp(`${flag}[ ,=<]`), flag);
    }
  });

  const redis = ['--redis', 'redis://127.0.0.1:1'];
  const cases: Array<[string, string[], RegExp]> = [
    ['no Redis', ['--shards', '0'], /--redis URL \(or FLOTILLA_REDIS_URL\) is required/],
    ['not a Redis URL', ['--redis', 'http://x', '--shards', '0'], /redis:\/\//],
    ['unknown strategy', [...redis, '--strategy', 'round-robin'], /--strategy/],
    ['shard out of range', [...redis, '--shards', '0,5-40'], /shards go from 0 to 31/],
    ['malformed shard list', [...redis, '--shards', '1,,x'], /invalid --shards/],
    ['namespace strategy without namespaces', [...redis, '--strategy', 'namespace'], /--namespaces/],
    ['manager with static shards', [...redis, '--shards', '0', '--manager'], /--manager needs lease mode/],
    ['bad concurrency', [...redis, '--shards', '0', '--concurrency', '0'], /--concurrency/],
    ['bad metrics port', [...redis, '--shards', '0', '--metrics-port', '70000'], /--metrics-port/],
    ['bad TTL', [...redis, '--shards', '0', '--workflow-ttl', '5'], /--workflow-ttl/],
    ['bad agent', [...redis, '--shards', '0', '--agent', 'notifier'], /NAME=HOST:PORT/],
    ['token without sink', [...redis, '--shards', '0', '--event-sink-token-file', '/nonexistent'], /need --event-sink/],
    [
      'unreadable token file',
      [...redis, '--shards', '0', '--event-sink', '127.0.0.1:1', '--event-sink-token-file', '/nonexistent/token'],
      /cannot read/,
    ],
    ['unknown flag', [...redis, '--shardz', '0'], /unknown option/],
    ['flyte without a blob store', [...redis, '--shards', '0', '--flyte'], /--flyte needs --blob-store/],
    [
      'catalog TLS flag without an endpoint',
      [...redis, '--shards', '0', '--catalog-insecure'],
      /need --catalog-endpoint/,
    ],
    [
      'catalog endpoint without a port',
      [...redis, '--shards', '0', '--catalog-endpoint', 'dc'],
      /invalid --catalog-endpoint "dc": HOST:PORT/,
    ],
    [
      'bad catalog max age',
      [...redis, '--shards', '0', '--catalog-max-cache-age', 'old'],
      /invalid --catalog-max-cache-age/,
    ],
    [
      'unreadable catalog CA',
      [...redis, '--shards', '0', '--catalog-endpoint', 'dc:89', '--catalog-ca', '/nonexistent/ca.crt'],
      /cannot read --catalog-ca \/nonexistent\/ca.crt/,
    ],
    [
      'flyte with the namespace strategy',
      [...redis, '--strategy', 'namespace', '--namespaces', 'a', '--flyte', '--blob-store', 'file:///tmp/x'],
      /--flyte needs --strategy hash/,
    ],
    [
      'admin without --flyte',
      [...redis, '--shards', '0', '--admin-endpoint', 'admin:81'],
      /--admin-endpoint needs --flyte/,
    ],
    ['admin token without endpoint', [...redis, '--shards', '0', '--admin-token-file', '/x'], /needs --admin-endpoint/],
    [
      'admin endpoint not host:port',
      [...redis, '--shards', '0', '--flyte', '--blob-store', 'file:///tmp/x', '--admin-endpoint', 'http://admin'],
      /invalid --admin-endpoint/,
    ],
    [
      'admin client credentials incomplete',
      [
        ...redis,
        ...['--shards', '0', '--flyte', '--blob-store', 'file:///tmp/x', '--admin-endpoint', 'admin:81'],
        ...['--admin-client-id', 'flotilla'],
      ],
      /need all of --admin-client-id, --admin-client-secret-file and --admin-token-url/,
    ],
    [
      'admin token file and client credentials',
      [
        ...redis,
        ...['--shards', '0', '--flyte', '--blob-store', 'file:///tmp/x', '--admin-endpoint', 'admin:81'],
        ...['--admin-token-file', '/x', '--admin-client-id', 'a', '--admin-client-secret-file', '/y'],
        ...['--admin-token-url', 'https://t/token'],
      ],
      /--admin-token-file excludes the client credentials/,
    ],
  ];
  for (const [what, args, message] of cases) {
    test(`${what}: exit 2`, async () => {
      const { code, stderr, stdout } = await run(args);
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
      assert.equal(stdout, '');
    });
  }
});
