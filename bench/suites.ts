/**
 * The suites `bench/run.ts` knows, in run order, with their full and quick parameters. A suite
 * whose `unavailable()` names what it needs, or that `--skip` names, is reported "not run".
 */
import type { Suite, SuiteContext, SuiteOutput } from './model.js';
import { single, spread, type Spread } from './stats.js';

type FigureRow = SuiteOutput['figures'][number];

function fig(
  id: string,
  label: string,
  unit: string,
  better: 'higher' | 'lower',
  s: Spread,
  samples: number,
  values?: number[],
): FigureRow {
  return { id, label, unit, better, median: s.median, min: s.min, max: s.max, samples, ...(values ? { values } : {}) };
}

const core: Suite = {
  name: 'core',
  title: 'Engine core (in-process, no I/O)',
  unavailable: () => undefined,
  async run({ quick, repeats }: SuiteContext): Promise<SuiteOutput> {
    const { benchCore } = await import('./core.js');
    const parameters = {
      runs: repeats,
      sizes: quick ? [10, 100, 500] : [10, 50, 100, 250, 500, 1000],
      arrayItems: 10_000,
      arrayParallelism: 100,
    };
    const r = await benchCore({ ...parameters, print: true });
    const figures: FigureRow[] = [];
    for (const d of r.dag) {
      figures.push(
        fig(
          `dag${d.nodes}.roundsPerSecond`,
          `${d.nodes}-node DAG: rounds/s (${d.roundsPerRun} rounds/workflow)`,
          'rounds/s',
          'higher',
          d.roundsPerSecond,
          repeats,
        ),
      );
      figures.push(
        fig(
          `dag${d.nodes}.msPerWorkflow`,
          `${d.nodes}-node DAG: time per workflow`,
          'ms',
          'lower',
          d.msPerWorkflow,
          repeats,
        ),
      );
    }
    const a = r.array;
    figures.push(
      fig(
        'array.msPerRound',
        `${a.items}-item array (parallelism ${a.parallelism}): one round`,
        'ms',
        'lower',
        a.msPerRound,
        repeats,
      ),
    );
    figures.push(
      fig(
        'array.statusBytesMidRun',
        `${a.items}-item array: status size mid-run`,
        'bytes',
        'lower',
        single(a.statusBytesMidRun),
        1,
      ),
    );
    figures.push(
      fig(
        'array.statusBytesFinal',
        `${a.items}-item array: status size at the end`,
        'bytes',
        'lower',
        single(a.statusBytesFinal),
        1,
      ),
    );
    for (const c of r.roundCost) {
      figures.push(
        fig(
          `roundCost.${c.nodes}.usPerRound`,
          `round cost, ${c.nodes}-node workflow (mid-run)`,
          'µs',
          'lower',
          c.usPerRound,
          repeats,
        ),
      );
      figures.push(
        fig(
          `roundCost.${c.nodes}.statusBytes`,
          `status size, ${c.nodes}-node workflow (mid-run)`,
          'bytes',
          'lower',
          single(c.statusBytes),
          1,
        ),
      );
    }
    return { parameters, figures, raw: r };
  },
};

const apiserver: Suite = {
  name: 'apiserver',
  title: 'Embedded API server',
  unavailable: () => undefined,
  async run({ quick, repeats }: SuiteContext): Promise<SuiteOutput> {
    const { benchApiServer } = await import('./apiserver.js');
    const parameters = {
      runs: repeats,
      writes: quick ? 300 : 1000,
      writers: 16,
      watchers: 10,
      latencySamples: quick ? 30 : 100,
      keepAlive: true,
    };
    const r = await benchApiServer({ ...parameters, print: true });
    const w = parameters.watchers;
    return {
      parameters,
      raw: r,
      figures: [
        fig(
          'writesPerSecond',
          `creates/s with ${w} watchers (${parameters.writers} writers)`,
          'writes/s',
          'higher',
          r.writesPerSecond,
          repeats,
        ),
        fig(
          'watchLatencyP50Ms',
          `watch delivery latency p50, at rest (${w} watchers)`,
          'ms',
          'lower',
          r.fanoutLatencyP50Ms,
          repeats,
        ),
        fig(
          'watchLatencyP99Ms',
          `watch delivery latency p99, at rest (${w} watchers)`,
          'ms',
          'lower',
          r.fanoutLatencyP99Ms,
          repeats,
        ),
        fig(
          'watchLatencyLoadedP50Ms',
          `watch delivery latency p50, under write load`,
          'ms',
          'lower',
          r.loadedLatencyP50Ms,
          repeats,
        ),
      ],
    };
  },
};

const queue: Suite = {
  name: 'queue',
  title: 'Queue (BullMQ on Redis) and Redis ceiling',
  unavailable: () => undefined,
  async run({ quick, repeats, redisUrl }: SuiteContext): Promise<SuiteOutput> {
    const { benchQueue } = await import('./queue.js');
    const parameters = {
      repeats,
      jobs: quick ? 2000 : 10_000,
      shardCounts: [1, 32],
      concurrency: 4,
      enqueuers: 64,
      ceilingRequests: quick ? 20_000 : 100_000,
    };
    const r = await benchQueue({ ...parameters, print: true, ...(redisUrl ? { redisUrl } : {}) });
    const figures: FigureRow[] = [];
    for (const v of r.variants) {
      const id = `${v.variant}.${v.shards}`;
      const name = `${v.variant === 'flotilla' ? 'ShardQueue (dedup)' : 'plain BullMQ'}, ${v.shards} shard${v.shards === 1 ? '' : 's'}`;
      figures.push(
        fig(
          `${id}.jobsPerSecond`,
          `${name}: no-op jobs/s`,
          'jobs/s',
          'higher',
          v.jobsPerSecond,
          repeats,
          v.jobsPerSecondRuns,
        ),
      );
      figures.push(
        fig(
          `${id}.commandsPerJob`,
          `${name}: Redis commands per job (incl. inside Lua)`,
          'commands',
          'lower',
          v.commandsPerJob,
          repeats,
        ),
      );
      figures.push(
        fig(`${id}.scriptsPerJob`, `${name}: Lua script calls per job`, 'calls', 'lower', v.scriptsPerJob, repeats),
      );
      figures.push(
        fig(`${id}.redisCpuUsPerJob`, `${name}: Redis CPU per job`, 'µs', 'lower', v.redisCpuUsPerJob, repeats),
      );
      figures.push(
        fig(
          `${id}.redisBusyPercent`,
          `${name}: Redis thread busy`,
          '%',
          'lower',
          scale(v.redisBusyShare, 100),
          repeats,
        ),
      );
    }
    for (const c of r.ceiling) {
      figures.push(
        fig(
          `ceiling.${c.test.toLowerCase()}.p${c.pipeline}.opsPerSecond`,
          `redis-benchmark ${c.test}${c.test === 'EVAL' ? ' (1-command script)' : ''}, pipeline ${c.pipeline}`,
          'ops/s',
          'higher',
          c.opsPerSecond,
          repeats,
          c.opsPerSecondRuns,
        ),
      );
    }
    return { parameters, figures, raw: r };
  },
};

function scale(s: Spread, k: number): Spread {
  return { median: s.median * k, min: s.min * k, max: s.max * k };
}

const redisModes: Suite = {
  name: 'redis',
  title: 'Queue throughput by Redis mode: one server, 3-master Cluster, Sentinel (same run)',
  unavailable: () => undefined,
  async run({ quick, repeats }: SuiteContext): Promise<SuiteOutput> {
    const { benchRedisModes } = await import('./redis-modes.js');
    const parameters = {
      repeats,
      jobs: quick ? 1000 : 5000,
      shards: 16,
      concurrency: 4,
      enqueuers: 64,
      modes: ['single', 'cluster', 'sentinel'] as Array<'single' | 'cluster' | 'sentinel'>,
    };
    const r = await benchRedisModes({ ...parameters, print: true });
    const figures: FigureRow[] = [];
    for (const m of r.modes) {
      const name = `ShardQueues, ${parameters.shards} shards, ${m.urlForm}`;
      figures.push(
        fig(
          `${m.mode}.jobsPerSecond`,
          `${name}: no-op jobs/s`,
          'jobs/s',
          'higher',
          m.jobsPerSecond,
          repeats,
          m.jobsPerSecondRuns,
        ),
      );
      figures.push(
        fig(
          `${m.mode}.commandsPerJob`,
          `${name}: Redis commands per job (all masters)`,
          'commands',
          'lower',
          m.commandsPerJob,
          repeats,
        ),
      );
      figures.push(
        fig(
          `${m.mode}.redisCpuUsPerJob`,
          `${name}: Redis CPU per job (all masters)`,
          'µs',
          'lower',
          m.redisCpuUsPerJob,
          repeats,
        ),
      );
      if (m.mode === 'cluster') {
        figures.push(
          fig(
            'cluster.mastersUsed',
            `${name}: masters serving the shards`,
            'masters',
            'higher',
            single(m.mastersUsed),
            1,
          ),
        );
        figures.push(
          fig(
            'cluster.busiestMasterPercent',
            `${name}: busiest master's share of commands`,
            '%',
            'lower',
            scale(m.busiestMasterShare, 100),
            repeats,
          ),
        );
      }
    }
    for (const ratio of r.ratios) {
      figures.push(
        fig(
          `${ratio.mode}.toSingle`,
          `${ratio.mode} ÷ one server, jobs/s (paired per repeat)`,
          'ratio',
          'higher',
          ratio.toSingle,
          repeats,
          ratio.runs,
        ),
      );
    }
    return { parameters, figures, raw: r };
  },
};

const peer: Suite = {
  name: 'peer',
  title: 'Peer: BullMQ FlowProducer vs engine+queue, same DAGs, same Redis',
  unavailable: () => undefined,
  async run({ quick, repeats, redisUrl }: SuiteContext): Promise<SuiteOutput> {
    const { benchPeer } = await import('./peer-flowproducer.js');
    const parameters = { repeats, workflows: quick ? 300 : 2000, nodes: 5, concurrency: 4, creators: 64 };
    const r = await benchPeer({ ...parameters, print: true, ...(redisUrl ? { redisUrl } : {}) });
    const figures: FigureRow[] = [];
    for (const s of r.sides) {
      const id = s.side === 'flowproducer' ? 'flowproducer' : 'engineQueue';
      const name = s.side === 'flowproducer' ? 'BullMQ FlowProducer' : 'engine+queue, in-process';
      figures.push(
        fig(
          `${id}.workflowsPerSecond`,
          `${name}: workflows/s (${parameters.nodes}-node chains)`,
          'workflows/s',
          'higher',
          s.workflowsPerSecond,
          repeats,
          s.workflowsPerSecondRuns,
        ),
      );
      figures.push(
        fig(
          `${id}.latencyP50Ms`,
          `${name}: creation→completion p50 (burst of ${parameters.workflows})`,
          'ms',
          'lower',
          s.latencyP50Ms,
          repeats,
        ),
      );
      figures.push(
        fig(
          `${id}.latencyP99Ms`,
          `${name}: creation→completion p99 (burst of ${parameters.workflows})`,
          'ms',
          'lower',
          s.latencyP99Ms,
          repeats,
        ),
      );
      figures.push(
        fig(`${id}.jobsPerWorkflow`, `${name}: queue jobs per workflow`, 'jobs', 'lower', s.jobsPerWorkflow, repeats),
      );
    }
    return { parameters, figures, raw: r };
  },
};

const leases: Suite = {
  name: 'leases',
  title: 'Lease protocol (in-process fleet on the embedded API server): lease writes/min, planned handover, failover',
  unavailable: () => undefined,
  async run({ quick }: SuiteContext): Promise<SuiteOutput> {
    const { benchLeases } = await import('./leases.js');
    // Its samples are moves and failovers, not repeats: one pass is the measurement.
    const parameters = quick
      ? { shardCounts: [32, 1024], replicas: 3, windowMs: 15_000, moves: 10, failovers: 1 }
      : { shardCounts: [32, 1024], replicas: 3, windowMs: 60_000, moves: 50, failovers: 3 };
    const r = await benchLeases({ ...parameters, print: true });
    const figures: FigureRow[] = [];
    for (const w of r.writesPerMinute) {
      figures.push(
        fig(
          `s${w.shards}.writesPerMinute`,
          `lease writes/min, S=${w.shards}, ${w.replicas} replicas, steady state`,
          'writes/min',
          'lower',
          single(w.writesPerMinute),
          1,
        ),
      );
    }
    const h = r.handoverMs.samples;
    figures.push(
      fig(
        'handoverP50Ms',
        `planned handover p50 (move → new holder, protocol only, ${h.length} moves)`,
        'ms',
        'lower',
        single(r.handoverMs.p50),
        1,
      ),
    );
    figures.push(
      fig(
        'handoverP99Ms',
        `planned handover p99 (protocol only, ${h.length} moves)`,
        'ms',
        'lower',
        single(r.handoverMs.p99),
        1,
      ),
    );
    const f = r.failoverMs;
    figures.push(
      fig(
        'failoverMs',
        `failover: replica stops renewing → its shards held by others (lease ${r.timings.leaseDurationMs} ms)`,
        'ms',
        'lower',
        { median: f.median, min: f.min, max: f.max },
        f.samples.length,
      ),
    );
    return { parameters: { ...parameters, timings: r.timings }, figures, raw: r };
  },
};

/** Planned moves in the real fleet (controller processes, rounds in flight): `bench/handover.ts`. */
const handover: Suite = {
  name: 'handover',
  title: 'Handover in the fleet (rounds in flight, queues and informers moved): planned move p50/p99',
  unavailable: () => undefined,
  async run({ quick }: SuiteContext): Promise<SuiteOutput> {
    const { benchHandover } = await import('./handover.js');
    // Its samples are moves, not repeats: one pass is the measurement.
    const parameters = { moves: quick ? 10 : 50, replicas: 2, shardCount: 8 };
    const r = await benchHandover({
      moves: parameters.moves,
      failovers: 0,
      shardCount: parameters.shardCount,
      print: true,
    });
    const n = r.handoverMs.samples.length;
    return {
      parameters,
      raw: r,
      figures: [
        fig(
          'p50Ms',
          `planned move p50 (moveShard → new owner holds the lease, controller processes, ${n} moves)`,
          'ms',
          'lower',
          single(r.handoverMs.p50),
          1,
          r.handoverMs.samples,
        ),
        fig('p99Ms', `planned move p99 (controller processes, ${n} moves)`, 'ms', 'lower', single(r.handoverMs.p99), 1),
      ],
    };
  },
};

/** SIGKILL of a controller process → its shards held by live replicas: `bench/handover.ts`. */
const failover: Suite = {
  name: 'failover',
  title: 'Failover in the fleet: SIGKILL of a replica process → its workflows progress again',
  unavailable: () => undefined,
  async run({ quick }: SuiteContext): Promise<SuiteOutput> {
    const { benchHandover } = await import('./handover.js');
    const parameters = { failovers: quick ? 1 : 3, leaseDurationMs: 6000, shardCount: 8 };
    const r = await benchHandover({
      moves: 0,
      failovers: parameters.failovers,
      shardCount: parameters.shardCount,
      print: true,
    });
    const f = r.failoverMs;
    return {
      parameters,
      raw: r,
      figures: [
        fig(
          'ms',
          `SIGKILL → every shard of the killed replica held by another (lease ${parameters.leaseDurationMs} ms)`,
          'ms',
          'lower',
          { median: f.median, min: f.min, max: f.max },
          f.samples.length,
          f.samples,
        ),
      ],
    };
  },
};

const replica: Suite = {
  name: 'replica',
  title: 'One replica as a process (flotilla controller): workflows/s, rounds/s, round p50/p99 from its histogram',
  unavailable: () => undefined,
  async run({ quick, repeats, redisUrl }: SuiteContext): Promise<SuiteOutput> {
    const { benchReplica } = await import('./replica.js');
    const parameters = { repeats, workflows: quick ? 100 : 300, nodesPerWorkflow: 5, plugin: 'echo', concurrency: 8 };
    const r = await benchReplica({
      workflows: parameters.workflows,
      repeats,
      concurrency: parameters.concurrency,
      print: true,
      ...(redisUrl ? { redisUrl } : {}),
    });
    const n = parameters.workflows;
    return {
      parameters,
      raw: r,
      figures: [
        fig(
          'workflowsPerSecond',
          `${n} workflows of 5 echo nodes, one replica: workflows/s`,
          'workflows/s',
          'higher',
          r.workflowsPerSecond,
          repeats,
        ),
        fig('roundsPerSecond', 'rounds/s (flotilla_rounds_total)', 'rounds/s', 'higher', r.roundsPerSecond, repeats),
        fig('roundP50Ms', 'round duration p50 (flotilla_round_duration_seconds)', 'ms', 'lower', r.roundP50Ms, repeats),
        fig('roundP99Ms', 'round duration p99 (flotilla_round_duration_seconds)', 'ms', 'lower', r.roundP99Ms, repeats),
        fig('roundsPerWorkflow', 'rounds per workflow', 'rounds', 'lower', r.roundsPerWorkflow, repeats),
      ],
    };
  },
};

/** Fleet end to end, N controller processes on static shards: `bench/fleet.ts`. */
const fleet: Suite = {
  name: 'fleet',
  title:
    'Fleet end to end (controller processes, static shards): workflows/s, creation→success p50/p99, CPU per workflow, for 1, 2 and 3 replicas',
  unavailable: () => undefined,
  async run({ quick }: SuiteContext): Promise<SuiteOutput> {
    const { benchFleet } = await import('./fleet.js');
    // Per replica count one fleet: a warm-up, then `batches` measured batches one after the other
    // (a figure is the median over them, min and max beside it). The warm-up because a
    // long-running fleet's replicas have compiled their code; its own CPU is reported as the cold
    // figure. Creates 64 in flight, as the peer suite's FlowProducer side, so the bench's creation
    // rate does not bound the fleet's.
    const parameters = {
      replicaCounts: quick ? [1, 3] : [1, 2, 3],
      workflows: quick ? 200 : 2000,
      batches: quick ? 1 : 3,
      warmup: quick ? 200 : 1000,
      creators: 64,
      nodesPerWorkflow: 5,
      plugin: 'echo',
      shardCount: 32,
      concurrency: 8,
    };
    const r = await benchFleet({
      replicaCounts: parameters.replicaCounts,
      workflows: parameters.workflows,
      warmup: parameters.warmup,
      batches: parameters.batches,
      creators: parameters.creators,
      shardCount: parameters.shardCount,
      concurrency: parameters.concurrency,
      print: true,
    });
    const figures: FigureRow[] = [];
    for (const replicas of parameters.replicaCounts) {
      const batches = r.runs.filter((b) => b.replicas === replicas);
      const first = batches[0];
      if (first === undefined) continue;
      const over = (pick: (b: (typeof batches)[number]) => number): Spread => spread(batches.map(pick));
      const name = `${replicas} replica${replicas === 1 ? '' : 's'}`;
      const w = first.workflows;
      figures.push(
        fig(
          `r${replicas}.workflowsPerSecond`,
          `${name}: workflows/s (${w} workflows of 5 echo nodes)`,
          'workflows/s',
          'higher',
          over((b) => b.workflowsPerSecond),
          batches.length,
        ),
      );
      figures.push(
        fig(
          `r${replicas}.latencyP50Ms`,
          `${name}: creation→success p50 (burst of ${w})`,
          'ms',
          'lower',
          over((b) => b.latencyP50Ms),
          batches.length,
        ),
      );
      figures.push(
        fig(
          `r${replicas}.latencyP99Ms`,
          `${name}: creation→success p99 (burst of ${w})`,
          'ms',
          'lower',
          over((b) => b.latencyP99Ms),
          batches.length,
        ),
      );
      figures.push(
        fig(
          `r${replicas}.cpuMsPerWorkflow`,
          `${name}: controller CPU per workflow (all replicas, user+system), after ${parameters.warmup} warm-up workflows`,
          'ms',
          'lower',
          over((b) => b.cpuMsPerWorkflow),
          batches.length,
        ),
      );
      figures.push(
        fig(
          `r${replicas}.apiServerCpuMsPerWorkflow`,
          `${name}: API server CPU per workflow (its process, the bench's creates included)`,
          'ms',
          'lower',
          over((b) => b.apiServerCpuMsPerWorkflow),
          batches.length,
        ),
      );
      if (first.coldCpuMsPerWorkflow !== undefined)
        figures.push(
          fig(
            `r${replicas}.coldCpuMsPerWorkflow`,
            `${name}: controller CPU per workflow over the ${parameters.warmup} warm-up workflows (cold replicas)`,
            'ms',
            'lower',
            single(first.coldCpuMsPerWorkflow),
            1,
          ),
        );
    }
    return { parameters, figures, raw: r };
  },
};

/**
 * One replica's RSS with W terminal Workflows in its informer caches: `bench/memory.ts`, run from
 * the sources under tsx (a checkout) and as the image runs it (the build output, slimmed
 * dependencies, the image's environment: `bench/image-tree.ts`; the suite builds `dist/` first).
 */
const memory: Suite = {
  name: 'memory',
  title:
    'Memory: replica RSS with 10,000 and 50,000 Workflows in its informer caches, from the sources and as the image runs it',
  unavailable: () => undefined,
  async run({ quick }: SuiteContext): Promise<SuiteOutput> {
    const { benchMemory } = await import('./memory.js');
    const { buildDist } = await import('./image-tree.js');
    await buildDist();
    // One pass: RSS is read once per step and mode, after the replica settled.
    const parameters = {
      steps: quick ? [2000, 5000] : [10_000, 50_000],
      modes: ['source', 'image'] as const,
      // V8's memory reducer gives back the initial list's garbage 35–40 s after the caches sync
      // (an RSS trace of a 10,000-Workflow replica: 213 MiB until 34 s, 135 from 39 s on): read
      // well past it (quick mode earlier, as a smoke figure).
      settleSeconds: quick ? 40 : 75,
      shardCount: 32,
      createConcurrency: 32,
      workflow:
        '5 echo nodes, terminal status (Succeeded) written via /status, labelled completed as the janitor leaves them',
    };
    const r = await benchMemory({
      steps: parameters.steps,
      modes: [...parameters.modes],
      settleSeconds: parameters.settleSeconds,
      completed: true,
      shardCount: parameters.shardCount,
      concurrency: parameters.createConcurrency,
      print: true,
    });
    const mib = (bytes: number): number => bytes / 2 ** 20;
    const figures: FigureRow[] = [];
    for (const m of r.modes) {
      // The sources' figures keep the ids of earlier runs.
      const id = (what: string): string => (m.mode === 'source' ? what : `${m.mode}.${what}`);
      const how = m.mode === 'source' ? 'from the sources (tsx)' : 'as the image runs it';
      const after = `after ${r.settleSeconds} s`;
      figures.push(
        fig(
          id('emptyRssMiB'),
          `replica RSS ${how}, empty caches (all 32 shards, static), ${after}`,
          'MiB',
          'lower',
          single(mib(m.emptyRssBytes)),
          1,
        ),
      );
      for (const step of m.steps) {
        const w = step.workflows.toLocaleString('en-US');
        figures.push(
          fig(
            id(`w${step.workflows}.rssMiB`),
            `replica RSS ${how} with ${w} Workflows in its caches, ${after}`,
            'MiB',
            'lower',
            single(mib(step.rssBytes)),
            1,
          ),
          fig(
            id(`w${step.workflows}.peakRssMiB`),
            `replica RSS ${how} with ${w} Workflows: peak after the initial list`,
            'MiB',
            'lower',
            single(mib(step.peakRssBytes)),
            1,
          ),
        );
      }
      const [a, b] = [m.steps[0]?.workflows ?? 0, m.steps[m.steps.length - 1]?.workflows ?? 0];
      const growth = `growth ${a.toLocaleString('en-US')} → ${b.toLocaleString('en-US')}`;
      figures.push(
        fig(
          id('bytesPerWorkflow'),
          `RSS per cached Workflow ${how} (${growth})`,
          'bytes',
          'lower',
          single(m.bytesPerWorkflow),
          1,
        ),
        fig(
          id('heapBytesPerWorkflow'),
          `JS heap used per cached Workflow ${how} (${growth})`,
          'bytes',
          'lower',
          single(m.heapBytesPerWorkflow),
          1,
        ),
      );
    }
    return { parameters, figures, raw: r };
  },
};

/** N replicas on fixed CPU budgets (a cgroup quota each), API server and Redis unconstrained: `bench/scale.ts`. */
const scaleSuite: Suite = {
  name: 'scale',
  title:
    'Scale: N replicas each on a fixed CPU quota (cgroup), API server and Redis unconstrained: workflows/s, cost per workflow, efficiency, first saturated resource',
  unavailable: () => (process.platform === 'linux' ? undefined : 'needs Linux (cgroups or taskset, /proc)'),
  async run({ quick, repeats }: SuiteContext): Promise<SuiteOutput> {
    const { benchScale, QUICK } = await import('./scale.js');
    const { scaleFigures, scaleMarkdown } = await import('./scale-report.js');
    // Batches run on one fleet per N; quick mode keeps one batch per workload to fit 5 minutes.
    const parameters = quick
      ? {
          replicaCounts: [...QUICK.replicaCounts],
          repeats: QUICK.repeats,
          perReplica: { ...QUICK.perReplica },
          warmupPerReplica: QUICK.warmupPerReplica,
          coresPerReplica: 0.2,
          shardCount: 32,
          concurrency: 8,
          maxBatch: QUICK.maxBatch,
        }
      : {
          replicaCounts: [1, 2, 4, 8],
          repeats: Math.min(repeats, 3),
          perReplica: { chain5: 400, fanout20: 300 },
          // Enough that each replica's code is compiled before its quota applies: with 100 the
          // one-replica figures still carried V8's warm-up (per-workflow CPU fell with N), and with
          // 300 the first measured batch of every N was still the most expensive one.
          warmupPerReplica: 600,
          coresPerReplica: 0.2,
          shardCount: 32,
          concurrency: 8,
          maxBatch: 2400,
        };
    const r = await benchScale({ ...parameters, print: true });
    return {
      parameters: { ...parameters, confinement: r.confinement },
      figures: scaleFigures(r),
      raw: r,
      markdown: scaleMarkdown(r),
    };
  },
};

/** FlyteWorkflows beside native Workflows, same 5-pod chain, on the fleet: `bench/flyte-fleet.ts`. */
const flyteFleet: Suite = {
  name: 'flyte',
  title:
    'FlyteWorkflow beside native Workflow on the fleet (same chain of 5 pod tasks, kubelet stand-in, file:// blob store): workflows/s, creation→success p50/p99, replica CPU per workflow',
  unavailable: () => undefined,
  async run({ quick }: SuiteContext): Promise<SuiteOutput> {
    const { benchFlyteFleet } = await import('./flyte-fleet.js');
    const parameters = { replicaCounts: quick ? [1] : [1, 2], workflows: quick ? 60 : 300, chainLength: 5 };
    const r = await benchFlyteFleet({ ...parameters, print: true });
    const figures: FigureRow[] = [];
    for (const run of r.runs) {
      const name = `${run.kind === 'flyte' ? 'FlyteWorkflow' : 'Workflow'}, ${run.replicas} replica${run.replicas === 1 ? '' : 's'}`;
      const id = `r${run.replicas}.${run.kind}`;
      const w = `${run.workflows} chains of 5 pods`;
      figures.push(
        fig(
          `${id}.workflowsPerSecond`,
          `${name}: workflows/s (${w})`,
          'workflows/s',
          'higher',
          single(run.workflowsPerSecond),
          1,
        ),
        fig(`${id}.latencyP50Ms`, `${name}: creation→success p50`, 'ms', 'lower', single(run.latencyP50Ms), 1),
        fig(`${id}.latencyP99Ms`, `${name}: creation→success p99`, 'ms', 'lower', single(run.latencyP99Ms), 1),
        fig(
          `${id}.cpuMsPerWorkflow`,
          `${name}: replica CPU per workflow`,
          'ms',
          'lower',
          single(run.cpuMsPerWorkflow),
          1,
        ),
        fig(
          `${id}.podsPerWorkflow`,
          `${name}: pods created per workflow (5: no task ran twice)`,
          'pods',
          'lower',
          single(run.podsPerWorkflow),
          1,
        ),
      );
    }
    return { parameters, figures, raw: r };
  },
};

export const SUITES: readonly Suite[] = [
  core,
  apiserver,
  queue,
  redisModes,
  peer,
  leases,
  replica,
  fleet,
  flyteFleet,
  handover,
  failover,
  memory,
  scaleSuite,
];

/** Ratios the report shows beside their numerator's row (when both figures exist). */
export const RATIOS: ReadonlyArray<{ id: string; label: string; numerator: string; denominator: string }> = [
  {
    id: 'peer.engineQueue/flowproducer',
    label: 'engine+queue in-process ÷ FlowProducer (workflows/s)',
    numerator: 'peer.engineQueue.workflowsPerSecond',
    denominator: 'peer.flowproducer.workflowsPerSecond',
  },
  ...[1, 2, 3].map((n) => ({
    id: `fleet.r${n}/flowproducer`,
    label: `fleet, ${n} replica${n === 1 ? '' : 's'} ÷ FlowProducer (workflows/s)`,
    numerator: `fleet.r${n}.workflowsPerSecond`,
    denominator: 'peer.flowproducer.workflowsPerSecond',
  })),
  ...[1, 2].map((n) => ({
    id: `flyte.r${n}.flyte/native`,
    label: `FlyteWorkflow ÷ Workflow, ${n} replica${n === 1 ? '' : 's'}, same 5-pod chain (workflows/s)`,
    numerator: `flyte.r${n}.flyte.workflowsPerSecond`,
    denominator: `flyte.r${n}.native.workflowsPerSecond`,
  })),
  ...[1, 32].flatMap((s) => [
    {
      id: `queue.flotilla.${s}/bullmq`,
      label: `ShardQueue ÷ plain BullMQ, ${s} shard${s === 1 ? '' : 's'} (jobs/s)`,
      numerator: `queue.flotilla.${s}.jobsPerSecond`,
      denominator: `queue.bullmq.${s}.jobsPerSecond`,
    },
    {
      id: `queue.flotilla.${s}/ceiling`,
      label: `ShardQueue ${s} shard${s === 1 ? '' : 's'} jobs/s ÷ redis-benchmark SET ops/s (-P 1)`,
      numerator: `queue.flotilla.${s}.jobsPerSecond`,
      denominator: 'queue.ceiling.set.p1.opsPerSecond',
    },
    {
      id: `queue.bullmq.${s}/ceiling`,
      label: `plain BullMQ ${s} shard${s === 1 ? '' : 's'} jobs/s ÷ redis-benchmark SET ops/s (-P 1)`,
      numerator: `queue.bullmq.${s}.jobsPerSecond`,
      denominator: 'queue.ceiling.set.p1.opsPerSecond',
    },
  ]),
  {
    id: 'peer.engineQueue/ceiling',
    label: 'engine+queue in-process workflows/s ÷ redis-benchmark SET ops/s (-P 1)',
    numerator: 'peer.engineQueue.workflowsPerSecond',
    denominator: 'queue.ceiling.set.p1.opsPerSecond',
  },
];
