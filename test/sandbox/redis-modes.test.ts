/**
 * `flotilla sandbox --redis-mode cluster|sentinel` as a real process: the sandbox starts a local
 * Redis Cluster (3 masters, 3 replicas) or a Sentinel group (1 master, 2 replicas, 3 sentinels),
 * `sandbox.json` names its URL, mode and processes, the fleet runs a few workflows on it to their
 * expected phases with every invariant holding (exit 0 after `--duration`), and no Redis process
 * outlives the sandbox. Bad combinations of the flag exit 2.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseRedisConfig, createRedisClient } from '../../src/redis/index.js';
import type { SandboxState } from '../../sandbox/state.js';
import { waitFor } from '../support/wait.js';
import { alive, exitWithin, killRun, runSandbox, type SandboxRun } from './process.js';

const cases = [
  { mode: 'cluster', url: /^redis\+cluster:\/\/(127\.0\.0\.1:\d+,){5}127\.0\.0\.1:\d+$/, processes: 6 },
  { mode: 'sentinel', url: /^redis\+sentinel:\/\/(127\.0\.0\.1:\d+,){2}127\.0\.0\.1:\d+\/flotilla$/, processes: 6 },
] as const;

describe('flotilla sandbox --redis-mode', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'flotilla-sandbox-redis-'));
  const runs: SandboxRun[] = [];
  after(async () => {
    for (const run of runs) await killRun(run);
    rmSync(cwd, { recursive: true, force: true });
  });

  for (const { mode, url, processes } of cases) {
    test(
      `--redis-mode ${mode}: the fleet runs on it to completion, sandbox.json names it`,
      { timeout: 240_000 },
      async () => {
        const stateDir = join(cwd, mode);
        const run = runSandbox(
          [
            '--state-dir',
            stateDir,
            '--no-ui',
            '--no-examples',
            '--redis-mode',
            mode,
            '--replicas',
            '2',
            '--shards',
            '4',
            '--workflows',
            '6',
            '--duration',
            '12',
            '--settle-timeout',
            '90',
          ],
          cwd,
        );
        runs.push(run);
        await waitFor(() => run.output().includes('flotilla sandbox is up'), {
          what: `the banner in: ${run.output()}`,
          timeoutMs: 90_000,
        });
        const state = JSON.parse(readFileSync(join(stateDir, 'sandbox.json'), 'utf8')) as SandboxState;
        assert.match(state.redis.url, url);
        assert.equal(state.redis.mode, mode);
        assert.equal(state.redis.pid, null);
        assert.equal(state.redis.pids?.length, processes, JSON.stringify(state.redis));
        for (const pid of state.redis.pids ?? []) assert.ok(alive(pid), `redis pid ${pid} alive`);
        assert.match(run.output(), new RegExp(`Redis +${state.redis.url.replace(/[+.]/g, '\\$&')} \\(${mode}:`));

        // The URL is one the fleet's own client reaches, and the shards' queues are in it.
        const client = createRedisClient(parseRedisConfig(state.redis.url), { maxRetriesPerRequest: 3 });
        try {
          await waitFor(
            async () => {
              const nodes = client instanceof Redis ? [client] : client.nodes('master');
              let queues = 0;
              for (const node of nodes) queues += (await node.keys('{flotilla:shard-*}:shard-*:meta')).length;
              return queues >= 1;
            },
            { what: "a shard queue's keys in the sandbox's Redis", timeoutMs: 30_000 },
          );
        } finally {
          client.disconnect();
        }

        const { code } = await exitWithin(run, 200_000);
        const out = run.output();
        assert.match(out, /sandbox summary/);
        assert.match(out, /workflows +Succeeded 6 +\(submitted 6, finished 6\)/);
        assert.match(out, /invariants +.*: all hold/);
        assert.equal(code, 0, out);
        await waitFor(() => (state.redis.pids ?? []).every((p) => !alive(p)), {
          what: 'every Redis process of the sandbox gone',
          timeoutMs: 10_000,
        });
      },
    );
  }

  test('--redis-mode with a bad value, with --redis, or with --no-fleet exits 2', async () => {
    for (const [args, message] of [
      [['--redis-mode', 'ring'], /invalid --redis-mode ring \(want single, cluster, sentinel\)/],
      [['--redis-mode', 'cluster', '--redis', 'redis://127.0.0.1:6379'], /--redis-mode starts a Redis; --redis uses/],
      [['--redis-mode', 'sentinel', '--no-fleet'], /--redis-mode needs the fleet/],
    ] as const) {
      const run = runSandbox([...args, '--state-dir', join(cwd, 'bad')], cwd);
      runs.push(run);
      assert.equal((await run.exit).code, 2, run.output());
      assert.match(run.output(), message);
    }
  });
});
