/**
 * The `redis` bench suite's measuring, small: the same ShardQueues on one server, a 3-master
 * Cluster and a Sentinel group in one run. The shards' queues spread over all three masters (the
 * busiest well under all of the commands), every mode runs the same commands per job (the hash tags
 * keep each script whole), and the per-repeat ratios to one server are there. No speed is asserted.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { benchRedisModes } from '../../bench/redis-modes.js';

describe('bench: queue throughput by Redis mode', () => {
  test(
    '16 shards spread over the 3 masters; the same commands per job in every mode; ratios per repeat',
    { timeout: 240_000 },
    async () => {
      const r = await benchRedisModes({ repeats: 2, jobs: 400, shards: 16, print: false });
      assert.deepEqual(
        r.modes.map((m) => m.mode),
        ['single', 'cluster', 'sentinel'],
      );
      const by = new Map(r.modes.map((m) => [m.mode, m]));
      const single = by.get('single');
      const cluster = by.get('cluster');
      const sentinel = by.get('sentinel');
      assert.ok(single && cluster && sentinel);
      assert.equal(cluster.mastersUsed, 3, 'every master serves some shards');
      assert.ok(cluster.busiestMasterShare.max < 0.75, `busiest master ${cluster.busiestMasterShare.max}`);
      assert.equal(single.mastersUsed, 1);
      assert.equal(single.busiestMasterShare.median, 1);
      for (const m of [cluster, sentinel]) {
        const ratio = m.commandsPerJob.median / single.commandsPerJob.median;
        assert.ok(
          ratio > 0.9 && ratio < 1.1,
          `${m.mode}: ${m.commandsPerJob.median} commands/job vs ${single.commandsPerJob.median}`,
        );
      }
      for (const m of r.modes) {
        assert.equal(m.jobsPerSecondRuns.length, 2);
        assert.ok(m.jobsPerSecondRuns.every((v) => v > 0 && Number.isFinite(v)));
      }
      assert.deepEqual(
        r.ratios.map((x) => [x.mode, x.runs.length]),
        [
          ['cluster', 2],
          ['sentinel', 2],
        ],
      );
      const first = r.ratios[0];
      assert.ok(first);
      assert.ok(
        Math.abs((first.runs[0] ?? 0) - (cluster.jobsPerSecondRuns[0] ?? 0) / (single.jobsPerSecondRuns[0] ?? 1)) <
          1e-9,
        'the ratio pairs runs of the same repeat',
      );
    },
  );
});
