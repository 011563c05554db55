/**
 * The soak's machinery on a short run: `flotilla sandbox --no-ui --chaos --duration 40
 * --workflows 60 --sample-memory 2` samples every replica's memory (across the restarts chaos
 * causes), writes `<state-dir>/memory.jsonl`, and the summary has a memory section with a line per
 * replica and a verdict (40 s is too short to judge a growth; the 10-minute soak is
 * `npm run soak`, on demand, not in CI).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/wait.js';
import { exitWithin, killRun, runSandbox, type SandboxRun } from './process.js';

interface Row {
  time: string;
  elapsedS: number;
  replica: string;
  pid: number;
  rssBytes: number;
  heapUsedBytes?: number;
}

describe('flotilla sandbox --sample-memory', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'flotilla-soak-'));
  const runs: SandboxRun[] = [];
  after(async () => {
    for (const run of runs) await killRun(run);
    rmSync(cwd, { recursive: true, force: true });
  });

  test(
    '--chaos --duration 40 --workflows 60 --sample-memory 2: a memory section for every replica, memory.jsonl, exit 0',
    { timeout: 200_000 },
    async () => {
      const stateDir = join(cwd, 'state');
      const run = runSandbox(
        [
          '--state-dir',
          stateDir,
          '--no-ui',
          '--no-examples',
          '--chaos',
          '--duration',
          '40',
          '--workflows',
          '60',
          '--settle-timeout',
          '60',
          '--sample-memory',
          '2',
        ],
        cwd,
      );
      runs.push(run);
      await waitFor(() => run.output().includes('flotilla sandbox is up'), {
        what: `the banner in: ${run.output()}`,
        timeoutMs: 60_000,
      });
      const { code } = await exitWithin(run, 150_000);
      const out = run.output();
      assert.match(out, /sandbox summary/);
      assert.match(
        out,
        /^ {2}memory +RSS of each replica sampled every 2 s · \d+ samples · bound: growth > 64 MiB and > ×1\.5/m,
        out,
      );
      for (const replica of ['replica-1', 'replica-2', 'replica-3']) {
        const line = new RegExp(
          `^ {4}${replica} +(\\d+) incarnation\\(s\\) · peak (\\d+\\.\\d) MiB · across`,
          'm',
        ).exec(out);
        assert.ok(line, `a memory line for ${replica} in:\n${out}`);
        assert.ok(Number(line[1]) >= 1);
        assert.ok(Number(line[2]) > 10, `${replica} peak RSS ${line[2]} MiB`);
      }
      assert.match(out, /^ {2}memory verdict +.+\(\d+ incarnation\(s\) judged, \d+ too short to judge\)$/m);
      assert.match(out, /failovers +[1-9]\d* replica deaths/, 'chaos killed at least one replica');

      const rows = readFileSync(join(stateDir, 'memory.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Row);
      const replicas = new Set(rows.map((r) => r.replica));
      assert.deepEqual([...replicas].sort(), ['replica-1', 'replica-2', 'replica-3']);
      for (const row of rows) {
        assert.ok(row.rssBytes > 10 * 2 ** 20, JSON.stringify(row));
        assert.ok(Number.isInteger(row.pid) && row.pid > 0);
        assert.ok(!Number.isNaN(Date.parse(row.time)));
      }
      assert.ok(
        rows.some((r) => typeof r.heapUsedBytes === 'number' && r.heapUsedBytes > 0),
        'the heap read from a replica /metrics',
      );
      // chaos restarted a replica under its name: a name with two pids (two incarnations)
      const pids = new Map<string, Set<number>>();
      for (const r of rows) pids.set(r.replica, (pids.get(r.replica) ?? new Set()).add(r.pid));
      assert.ok(
        [...pids.values()].some((s) => s.size >= 2),
        `no replica sampled in two incarnations: ${JSON.stringify([...pids].map(([k, v]) => [k, [...v]]))}`,
      );
      assert.equal(code, 0, out);
    },
  );
});
