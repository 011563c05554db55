/**
 * The scale suite's figures and its own Markdown section. Figure ids (the runner prefixes
 * `scale.`): the 5-node chains are the headline, `r<N>.<what>` and `efficiency.r<N>`; the fan-out
 * gets `fanout20.r<N>.<what>` and `fanout20.efficiency.r<N>`. Scripts depend on
 * `r<N>.workflowsPerSecond`, `r<N>.cpuMsPerWorkflow`, `r<N>.apiRequestsPerWorkflow` and
 * `efficiency.r<N>`: keep them.
 */
import type { Confinement } from './cgroup.js';
import type { SuiteOutput } from './model.js';
import type { ScaleBenchResult, ScaleRun, ScaleSample, Workload } from './scale.js';
import { throttledShare, type ResourceName, type SaturationVerdict } from './scale-model.js';
import { spread, type Spread } from './stats.js';

type FigureRow = SuiteOutput['figures'][number];

const WORKLOAD_TEXT: Record<Workload, string> = { chain5: '5-node chains', fanout20: '20-node fan-outs' };
const RESOURCE_TEXT: Record<ResourceName, string> = {
  replicas: 'replica quota',
  apiserver: 'API server',
  redis: 'Redis',
  machine: 'machine (its cores)',
};

function prefix(workload: Workload): string {
  return workload === 'chain5' ? '' : `${workload}.`;
}

/** How the replicas were held, for labels: loud when it is not a quota. */
export function budgetText(confinement: Confinement, coresPerReplica: number | undefined): string {
  if (confinement.kind === 'cgroup')
    return `${coresPerReplica ?? '?'} core each (cgroup v${confinement.version} quota)`;
  return `pinned to CPU ${confinement.cpus} by taskset, NO per-replica quota`;
}

export function scaleFigures(r: ScaleBenchResult): FigureRow[] {
  const budget = budgetText(r.confinement, r.coresPerReplica);
  const out: FigureRow[] = [];
  for (const run of r.runs) {
    const p = `${prefix(run.workload)}r${run.replicas}`;
    const who = `${WORKLOAD_TEXT[run.workload]}, ${run.replicas} replica${run.replicas === 1 ? '' : 's'} × ${budget}`;
    const n = run.samples.length;
    const per = (pick: (s: ScaleSample) => number): Spread => spread(run.samples.map(pick));
    const row = (
      id: string,
      label: string,
      unit: string,
      better: 'higher' | 'lower',
      s: Spread,
      values?: number[],
    ): FigureRow => ({
      id: `${p}.${id}`,
      label: `${who}: ${label}`,
      unit,
      better,
      median: s.median,
      min: s.min,
      max: s.max,
      samples: n,
      ...(values ? { values } : {}),
    });
    out.push(
      row(
        'workflowsPerSecond',
        'workflows/s (sustained: first create → replicas idle again)',
        'workflows/s',
        'higher',
        run.workflowsPerSecond,
        run.samples.map((s) => s.workflowsPerSecond),
      ),
    );
    out.push(row('latencyP50Ms', 'creation→success p50 (batch)', 'ms', 'lower', run.latencyP50Ms));
    out.push(row('latencyP99Ms', 'creation→success p99 (batch)', 'ms', 'lower', run.latencyP99Ms));
    out.push(
      row(
        'cpuMsPerWorkflow',
        'replica CPU per workflow (all replicas)',
        'ms',
        'lower',
        per((s) => s.perWorkflow.replicaCpuMs),
      ),
    );
    out.push(
      row(
        'apiRequestsPerWorkflow',
        'API requests per workflow (every verb, the create included)',
        'requests',
        'lower',
        per((s) => s.perWorkflow.apiRequests),
      ),
    );
    out.push(
      row(
        'apiBytesPerWorkflow',
        'bytes received by the API server per workflow (TLS included)',
        'bytes',
        'lower',
        per((s) => s.perWorkflow.apiBytesReceived),
      ),
    );
    out.push(
      row(
        'redisCommandsPerWorkflow',
        'Redis commands per workflow (inside Lua included)',
        'commands',
        'lower',
        per((s) => s.perWorkflow.redisCommands),
      ),
    );
    out.push(
      row(
        'watchEventsPerWorkflow',
        'watch events received per workflow (all replicas)',
        'events',
        'lower',
        per((s) => s.perWorkflow.watchEvents),
      ),
    );
  }
  for (const e of r.efficiency) {
    out.push({
      id: `${prefix(e.workload)}efficiency.r${e.replicas}`,
      label: `${WORKLOAD_TEXT[e.workload]}: scaling efficiency thr(${e.replicas}) ÷ (${e.replicas} × thr(1)), ${budget}`,
      unit: '×',
      better: 'higher',
      median: e.value.median,
      min: e.value.min,
      max: e.value.max,
      samples: Math.min(
        ...r.runs
          .filter((x) => x.workload === e.workload && (x.replicas === 1 || x.replicas === e.replicas))
          .map((x) => x.samples.length),
      ),
    });
  }
  return out;
}

function num(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${Math.round(v * 100)} %` : '–';
}

function verbs(byVerb: Record<string, number>): string {
  return Object.entries(byVerb)
    .sort((a, b) => b[1] - a[1])
    .map(([verb, v]) => `${verb} ${num(v, 2)}`)
    .join(', ');
}

function confinementText(r: ScaleBenchResult): string {
  const c = r.confinement;
  if (c.kind === 'cgroup') {
    const files =
      c.version === 1
        ? `cpu.cfs_quota_us = ${Math.round((r.coresPerReplica ?? 0) * 100_000)}, cpu.cfs_period_us = 100000`
        : `cpu.max = "${Math.round((r.coresPerReplica ?? 0) * 100_000)} 100000"`;
    return `Each replica ran in its own cgroup v${c.version} (\`${c.root}/replica-<i>\`, ${files}: **${r.coresPerReplica} core**), moved there after start-up and an unmeasured warm-up. The API server (its own process) and Redis ran unconstrained.`;
  }
  return `**WARNING: cgroups could not be used (${c.reason}). Replicas were pinned with \`taskset -a -c ${c.cpus}\` instead: they share that CPU and are NOT held to a per-replica quota, so these figures do not measure the same thing as a cgroup run.**`;
}

function verdictText(v: SaturationVerdict): string {
  if (v.oversubscribed)
    return `machine (oversubscribed: ${num(v.oversubscribed.askedCores, 1)} cores asked of ${v.oversubscribed.cores})`;
  return v.bottleneck ? RESOURCE_TEXT[v.bottleneck] : 'none';
}

function runRow(run: ScaleRun, eff: Spread | undefined): string {
  const m = run.median;
  const use = (name: ResourceName): number => m.resources.find((x) => x.name === name)?.utilisation ?? Number.NaN;
  const throttled = m.throttling.length > 0 ? Math.max(...m.throttling.map(throttledShare)) : 0;
  const cells = [
    String(run.replicas),
    num(run.workflowsPerSecond.median),
    eff ? num(eff.median, 2) : '–',
    num(run.latencyP50Ms.median, 0),
    num(run.latencyP99Ms.median, 0),
    num(m.perWorkflow.replicaCpuMs, 2),
    `${num(m.perWorkflow.apiRequests, 2)} (${verbs(m.perWorkflow.apiRequestsByResource)})`,
    num(m.perWorkflow.apiBytesReceived, 0),
    num(m.perWorkflow.redisCommands, 1),
    num(m.perWorkflow.watchEvents, 2),
    pct(use('replicas')),
    pct(throttled),
    pct(use('apiserver')),
    pct(use('redis')),
    pct(use('machine')),
    verdictText(m.verdict),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The suite's section of the report: how replicas were confined, one table per workload, the verdict. */
export function scaleMarkdown(r: ScaleBenchResult): string {
  const lines: string[] = ['## scale: replicas on fixed CPU budgets', '', confinementText(r), ''];
  lines.push(
    `Per workflow: costs over the whole batch ÷ its size; utilisation: CPU over the batch window ÷ budget (replicas: quota × N; API server and Redis: 1 core; machine: ${r.machineCores} cores, other tenants included). Saturated at ≥ 85 %; the bottleneck is the most utilised process at its budget, else the machine when it is, or when it is ≥ 70 % busy and the run asked it for more cores than it has (the replicas' quotas plus what the API server, Redis and the bench's creates used). Figures are the repeat with the median workflows/s.`,
  );
  lines.push('');
  for (const workload of [...new Set(r.runs.map((x) => x.workload))]) {
    lines.push(`### ${WORKLOAD_TEXT[workload]}`);
    lines.push('');
    lines.push(
      '| N | workflows/s | efficiency | p50 ms | p99 ms | replica CPU ms/wf | API requests/wf (by verb and resource) | API bytes in/wf | Redis cmds/wf | watch events/wf | replica quota used | max throttled periods | API server CPU | Redis CPU | machine CPU | bottleneck |',
    );
    lines.push(
      '| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const run of r.runs.filter((x) => x.workload === workload)) {
      lines.push(runRow(run, r.efficiency.find((e) => e.workload === workload && e.replicas === run.replicas)?.value));
    }
    const first = r.firstSaturated.find((f) => f.workload === workload);
    lines.push('');
    lines.push(
      first?.replicas !== undefined && first.resource !== undefined
        ? `First saturated: **${RESOURCE_TEXT[first.resource]}** at N = ${first.replicas}.`
        : 'Nothing saturated at any N: latency-bound.',
    );
    lines.push('');
  }
  return lines.join('\n');
}
