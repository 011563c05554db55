/**
 * The scale suite's pure parts (cgroup mounts, paths and quota files, the fallback decision, /proc
 * parsing, efficiency, saturation, steady throughput, figure ids) and one tiny real run (N = 1,
 * one short batch of chains) checking the contract's figure ids. No timing assertions.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chooseCgroup,
  CpuBudgetError,
  openCpuBudget,
  parseCpuMounts,
  parseCpuStat,
  quotaWrites,
  replicaCgroupPath,
} from '../../bench/cgroup.js';
import { parseMachineCpu, parseProcStatCpu } from '../../bench/proc-cpu.js';
import type { ScaleBenchResult, ScaleRun, ScaleSample } from '../../bench/scale.js';
import {
  efficiency,
  firstSaturation,
  perWorkflow,
  saturation,
  steadyFromProgress,
  steadyThroughput,
  use,
} from '../../bench/scale-model.js';
import { scaleFigures, scaleMarkdown } from '../../bench/scale-report.js';
import type { TrafficStats } from '../../sandbox/apiserver/traffic.js';

const V1 = `cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0`;
const V1_COMOUNTED = 'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0';
const V2 = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0';
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

describe('cgroup handling', () => {
  test('finds the cpu controller: v1 (alone or co-mounted), v2', () => {
    assert.deepEqual(parseCpuMounts(V1), { v1Cpu: '/sys/fs/cgroup/cpu', v2: '/sys/fs/cgroup/unified' });
    assert.deepEqual(parseCpuMounts(V1_COMOUNTED), { v1Cpu: '/sys/fs/cgroup/cpu,cpuacct' });
    assert.deepEqual(parseCpuMounts(V2), { v2: '/sys/fs/cgroup' });
    assert.deepEqual(parseCpuMounts('proc /proc proc rw 0 0'), {});
  });

  test('v1 wins when mounted; v2 only with cpu in cgroup.controllers; otherwise a reason', () => {
    assert.deepEqual(chooseCgroup(parseCpuMounts(V1), ''), { version: 1, mount: '/sys/fs/cgroup/cpu' });
    assert.deepEqual(chooseCgroup(parseCpuMounts(V2), 'cpuset cpu io memory pids\n'), {
      version: 2,
      mount: '/sys/fs/cgroup',
    });
    assert.match((chooseCgroup(parseCpuMounts(V2), 'memory pids') as { reason: string }).reason, /no cpu controller/);
    assert.match((chooseCgroup({}, undefined) as { reason: string }).reason, /no cgroup/);
  });

  test('paths, quota files and cpu.stat of both versions', () => {
    assert.equal(
      replicaCgroupPath('/sys/fs/cgroup/cpu', 'run-1', 3),
      '/sys/fs/cgroup/cpu/flotilla-bench/run-1/replica-3',
    );
    assert.throws(() => replicaCgroupPath('/sys/fs/cgroup/cpu', '../escape', 0), CpuBudgetError);
    assert.deepEqual(quotaWrites(1, 0.2), [
      { file: 'cpu.cfs_period_us', value: '100000' },
      { file: 'cpu.cfs_quota_us', value: '20000' },
    ]);
    assert.deepEqual(quotaWrites(2, 0.5), [{ file: 'cpu.max', value: '50000 100000' }]);
    assert.throws(() => quotaWrites(1, 0), CpuBudgetError);
    assert.deepEqual(parseCpuStat(1, 'nr_periods 10\nnr_throttled 4\nthrottled_time 2500000000\n'), {
      periods: 10,
      throttledPeriods: 4,
      throttledSeconds: 2.5,
    });
    assert.deepEqual(parseCpuStat(2, 'usage_usec 9\nnr_periods 8\nnr_throttled 2\nthrottled_usec 1500000\n'), {
      periods: 8,
      throttledPeriods: 2,
      throttledSeconds: 1.5,
    });
  });

  test('a writable tree gets the quota files and the pid; no cgroup at all falls back to taskset, loudly', () => {
    const root = mkdtempSync(join(tmpdir(), 'flotilla-fake-cgroup-'));
    try {
      const budget = openCpuBudget({ run: 'r1', cores: 0.2, procMounts: `cgroup ${root} cgroup rw,cpu 0 0` });
      assert.deepEqual(budget.confinement, { kind: 'cgroup', version: 1, root: join(root, 'flotilla-bench', 'r1') });
      budget.confine(1, 4242);
      const dir = join(root, 'flotilla-bench', 'r1', 'replica-1');
      assert.equal(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8'), '20000');
      assert.equal(readFileSync(join(dir, 'cgroup.procs'), 'utf8'), '4242');
      budget.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    if (hasTaskset) {
      const fallback = openCpuBudget({ run: 'r2', procMounts: '', fallbackCpus: '0' });
      assert.equal(fallback.confinement.kind, 'taskset');
      assert.match(fallback.confinement.kind === 'taskset' ? fallback.confinement.reason : '', /no cgroup/);
      assert.equal(fallback.coresPerReplica, undefined);
      const unwritable = openCpuBudget({ run: 'r3', procMounts: 'cgroup /proc/version cgroup rw,cpu 0 0' });
      assert.match(unwritable.confinement.kind === 'taskset' ? unwritable.confinement.reason : '', /cannot be written/);
    } else {
      assert.throws(
        () => openCpuBudget({ run: 'r2', procMounts: '' }),
        (e: unknown) => e instanceof CpuBudgetError && e.code === 'NoConfinement',
      );
    }
  });
});

describe('scale arithmetic', () => {
  test('/proc parsing: a name with spaces and parentheses; the machine line', () => {
    const stat = '42 (node (x) y) S 1 42 42 0 -1 4194560 1 0 0 0 250 50 0 0 20 0 11 0 100 0 0';
    assert.equal(parseProcStatCpu(stat), 3);
    assert.deepEqual(parseMachineCpu('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n'), {
      busySeconds: 1.5,
      totalSeconds: 10,
    });
  });

  test('efficiency thr(N) ÷ (N × thr(1)) with the widest bounds', () => {
    assert.deepEqual(efficiency({ median: 160, min: 150, max: 170 }, 4, { median: 50, min: 40, max: 50 }), {
      median: 0.8,
      min: 0.75,
      max: 170 / 160,
    });
  });

  test('saturation: the most utilised process at its budget; the machine only when no process is', () => {
    const v = saturation([
      use('replicas', 1.9, 0.4, 5),
      use('apiserver', 4.5, 1, 5),
      use('redis', 0.5, 1, 5),
      use('machine', 9.8, 2, 5),
    ]);
    assert.deepEqual(v, { saturated: ['machine', 'replicas', 'apiserver'], bottleneck: 'replicas' });
    assert.equal(saturation([use('replicas', 0.5, 0.4, 5), use('machine', 9.5, 2, 5)]).bottleneck, 'machine');
    assert.deepEqual(saturation([use('replicas', 0.5, 0.4, 5), use('apiserver', 1, 1, 5)]), {
      saturated: [],
      bottleneck: undefined,
    });
    // Eight 0.2-core quotas (1.6 cores) used at 55 %, the API server at 63 % of a core, Redis 11 %,
    // the bench's creates 0.2 cores, on 2 cores 81 % busy: nothing at its budget, yet the run asked
    // for 2.54 cores of 2, so the replicas could not get their quotas.
    const starved = saturation(
      [
        use('replicas', 0.88 * 5, 1.6, 5),
        use('apiserver', 0.63 * 5, 1, 5),
        use('redis', 0.11 * 5, 1, 5),
        use('machine', 1.62 * 5, 2, 5),
      ],
      undefined,
      0.2,
    );
    assert.equal(starved.bottleneck, 'machine');
    assert.deepEqual(starved.saturated, []);
    assert.equal(starved.oversubscribed?.cores, 2);
    assert.ok(Math.abs((starved.oversubscribed?.askedCores ?? 0) - 2.54) < 1e-9);
    // The same asks on a machine that was not busy (70 % is the floor): latency-bound, no verdict.
    assert.equal(
      saturation(
        [use('replicas', 0.88 * 5, 1.6, 5), use('apiserver', 0.63 * 5, 1, 5), use('machine', 1.2 * 5, 2, 5)],
        undefined,
        0.2,
      ).bottleneck,
      undefined,
    );
    // Busy, but what was asked fits the cores: not the machine either.
    assert.equal(
      saturation([use('replicas', 0.6, 0.8, 5), use('apiserver', 0.5 * 5, 1, 5), use('machine', 1.6 * 5, 2, 5)])
        .bottleneck,
      undefined,
    );
    assert.deepEqual(
      firstSaturation([
        { replicas: 4, verdict: { saturated: ['apiserver'], bottleneck: 'apiserver' } },
        { replicas: 1, verdict: { saturated: [], bottleneck: undefined } },
        { replicas: 2, verdict: { saturated: ['redis'], bottleneck: 'redis' } },
      ]),
      { replicas: 2, resource: 'redis' },
    );
    assert.equal(firstSaturation([{ replicas: 1, verdict: { saturated: [], bottleneck: undefined } }]), undefined);
  });

  test('steady throughput leaves out the first and last 10 % of finishes', () => {
    const finished = Array.from({ length: 100 }, (_, i) => (i < 10 ? 0 : i >= 90 ? 100_000 : 10_000 + (i - 10) * 100));
    assert.equal(steadyThroughput(finished, 0), 79 / 7.9);
    assert.equal(steadyThroughput([1000, 2000], 0), 1);
    assert.ok(Number.isNaN(steadyThroughput([], 0)));
  });

  test('steady throughput from gauge polls: 10th → 90th percentile completion, interpolated', () => {
    const points = [
      { t: 0, done: 0 },
      { t: 1000, done: 0 },
      { t: 2000, done: 20 },
      { t: 3000, done: 60 },
      { t: 4000, done: 100 },
      { t: 9000, done: 100 },
    ];
    // 10 done at 1.5 s, 90 done at 3.75 s: 80 in 2.25 s.
    assert.equal(steadyFromProgress(points, 100), 80 / 2.25);
    assert.equal(
      steadyFromProgress(
        [
          { t: 0, done: 0 },
          { t: 2000, done: 100 },
        ],
        100,
      ),
      80 / 1.6,
      'both crossings inside one poll interval',
    );
    assert.equal(
      steadyFromProgress(
        [
          { t: 0, done: 0 },
          { t: 2000, done: 4 },
        ],
        4,
      ),
      2,
      'few workflows: the whole span',
    );
    assert.ok(Number.isNaN(steadyFromProgress([], 10)));
  });

  test('per-workflow costs are counter deltas over the batch size', () => {
    const t = (create: number, patch: number, bytes: number, events: number): TrafficStats => ({
      requests: { create, patch },
      requestsByResource: { 'create workflows': create },
      requestBodyBytes: { patch: patch * 100 },
      bytesReceived: bytes,
      bytesSent: 0,
      watchEvents: events,
      watchBookmarks: 0,
      watchBytes: events * 10,
      connections: 1,
    });
    const p = perWorkflow({
      workflows: 10,
      replicaCpuSeconds: 0.05,
      trafficBefore: t(5, 0, 1000, 3),
      trafficAfter: t(15, 20, 61_000, 43),
      redisCommands: 300,
    });
    assert.deepEqual(p, {
      replicaCpuMs: 5,
      apiRequests: 3,
      apiRequestsByVerb: { create: 1, patch: 2 },
      apiRequestsByResource: { 'create workflows': 1 },
      apiBytesReceived: 6000,
      apiBodyBytes: 200,
      watchEvents: 4,
      watchBytes: 40,
      redisCommands: 30,
    });
  });
});

function fakeRun(replicas: number, thr: number): ScaleRun {
  const sample: ScaleSample = {
    workflows: 100,
    seconds: 1,
    createSeconds: 0.5,
    workflowsPerSecond: thr,
    completionsPerSecond: thr,
    finishesPerSecond: thr,
    progress: [],
    latencyP50Ms: 1,
    latencyP99Ms: 2,
    windowSeconds: 1,
    perWorkflow: {
      replicaCpuMs: 5,
      apiRequests: 5,
      apiRequestsByVerb: {},
      apiRequestsByResource: {},
      apiBytesReceived: 1,
      apiBodyBytes: 1,
      watchEvents: 4,
      watchBytes: 1,
      redisCommands: 1,
    },
    cpuSeconds: { replicas: [1], apiserver: 0, redis: 0, bench: 0, machineBusy: 0 },
    throttling: [],
    resources: [],
    verdict: { saturated: [], bottleneck: undefined },
  };
  const s = { median: thr, min: thr, max: thr };
  return {
    replicas,
    workload: 'chain5',
    samples: [sample],
    workflowsPerSecond: s,
    latencyP50Ms: s,
    latencyP99Ms: s,
    median: sample,
  };
}

describe('scale figures', () => {
  test('the contract ids: r<N>.workflowsPerSecond, .cpuMsPerWorkflow, .apiRequestsPerWorkflow, efficiency.r<N> (N > 1)', () => {
    const result: ScaleBenchResult = {
      confinement: { kind: 'taskset', cpus: '1', reason: 'test' },
      coresPerReplica: undefined,
      machineCores: 2,
      runs: [fakeRun(1, 50), fakeRun(2, 90)],
      efficiency: [
        {
          workload: 'chain5',
          replicas: 2,
          value: efficiency({ median: 90, min: 90, max: 90 }, 2, { median: 50, min: 50, max: 50 }),
        },
      ],
      firstSaturated: [{ workload: 'chain5', replicas: undefined, resource: undefined }],
    };
    const figures = new Map(scaleFigures(result).map((f) => [f.id, f]));
    for (const n of [1, 2])
      for (const what of ['workflowsPerSecond', 'cpuMsPerWorkflow', 'apiRequestsPerWorkflow'])
        assert.ok(figures.has(`r${n}.${what}`), `r${n}.${what}`);
    assert.equal(figures.get('efficiency.r2')?.median, 0.9);
    assert.ok(!figures.has('efficiency.r1'));
    assert.match(figures.get('r1.workflowsPerSecond')?.label ?? '', /taskset, NO per-replica quota/);
    assert.match(scaleMarkdown(result), /WARNING: cgroups could not be used \(test\)/);
  });

  test(
    'a tiny real run (N = 1, one short batch of chains) gives the contract figures',
    { timeout: 90_000 },
    async () => {
      const { benchScale } = await import('../../bench/scale.js');
      const r = await benchScale({
        replicaCounts: [1],
        workloads: ['chain5'],
        repeats: 1,
        perReplica: { chain5: 40 },
        warmupPerReplica: 10,
      });
      const figures = new Map(scaleFigures(r).map((f) => [f.id, f]));
      for (const what of ['workflowsPerSecond', 'cpuMsPerWorkflow', 'apiRequestsPerWorkflow']) {
        const f = figures.get(`r1.${what}`);
        assert.ok(f && Number.isFinite(f.median) && f.median > 0, `r1.${what} = ${String(f?.median)}`);
      }
      assert.ok((figures.get('r1.apiRequestsPerWorkflow')?.median ?? 0) >= 1, 'at least the create');
      if (r.confinement.kind === 'cgroup')
        assert.ok(!existsSync(r.confinement.root), `cgroup ${r.confinement.root} removed`);
    },
  );
});
