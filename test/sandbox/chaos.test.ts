/**
 * The fault run: `flotilla sandbox --chaos --duration 60 --workflows 300 --no-ui` SIGKILLs
 * replicas now and then (they are restarted), and still ends with exit 0: every load workflow and
 * every example in its expected phase, no pod created twice, no two replicas on one shard at once,
 * no status going backwards, events unique and ending in the terminal phase (the summary's
 * invariant report). Then no process it started is left.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxState } from '../../sandbox/state.js';
import { waitFor } from '../support/wait.js';
import { alive, exitWithin, groupMembers, killRun, runSandbox, type SandboxRun } from './process.js';

describe('flotilla sandbox --chaos', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'flotilla-chaos-'));
  const runs: SandboxRun[] = [];
  after(async () => {
    for (const run of runs) await killRun(run);
    rmSync(cwd, { recursive: true, force: true });
  });

  test(
    '--chaos --duration 60 --workflows 300: every workflow succeeds, no invariant violated, exit 0',
    { timeout: 400_000 },
    async () => {
      const stateDir = join(cwd, 'state');
      const run = runSandbox(
        [
          '--state-dir',
          stateDir,
          '--no-ui',
          '--chaos',
          '--duration',
          '60',
          '--workflows',
          '300',
          '--settle-timeout',
          '150',
        ],
        cwd,
      );
      runs.push(run);
      await waitFor(() => run.output().includes('flotilla sandbox is up'), {
        what: `the banner in: ${run.output()}`,
        timeoutMs: 60_000,
      });
      const state = JSON.parse(readFileSync(join(stateDir, 'sandbox.json'), 'utf8')) as SandboxState;
      const first = [
        state.redis.pid,
        state.eventSink?.pid,
        state.agent?.pid,
        state.manager?.pid,
        ...state.replicas.map((r) => r.pid),
      ].filter((p): p is number => typeof p === 'number');
      // 60 s of load, up to 150 s to settle, then the checks and the shutdown.
      const { code } = await exitWithin(run, 330_000);
      const out = run.output();
      assert.match(out, /sandbox summary/);
      assert.match(out, /failovers +[1-9]\d* replica deaths/, 'chaos killed at least one replica');
      const pods = /pods +(\d+) created · (\d+) distinct names/.exec(out);
      assert.ok(pods, out);
      assert.equal(pods[1], pods[2], 'no pod created twice');
      assert.match(
        out,
        /invariants +expected-phase, pod-launched-twice, task-started-twice, shard-overlap, status-backwards, event-duplicate, event-terminal: all hold/,
      );
      // The 11 examples (1 TimedOut, 3 Failed by design) and the load: 300 at 5/s over the 60 s, fewer
      // when a starved machine slows the creates; every one submitted must finish in its phase.
      const totals = /workflows +Succeeded (\d+) · TimedOut 1 · Failed 3 +\(submitted (\d+), finished (\d+)\)/.exec(
        out,
      );
      assert.ok(totals, out);
      const [succeeded, submitted, finished] = totals.slice(1).map(Number);
      assert.equal(finished, submitted, 'every submitted workflow finished');
      assert.equal(succeeded, (submitted ?? 0) - 4, 'all but the 4 failing examples succeeded');
      assert.ok((submitted ?? 0) >= 161, `at least half the load was submitted: ${submitted}`);
      assert.equal(code, 0, out);
      await waitFor(() => first.every((p) => !alive(p) && groupMembers(p).length === 0), {
        what: 'every started process gone',
        timeoutMs: 10_000,
      });
    },
  );
});
