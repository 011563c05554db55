/**
 * Benchmark of the pure engine core (`executeRound`), on one core, no I/O: every started task
 * "succeeds" in the next round (outputs = inputs), as an instant plugin would.
 *  - rounds/s executing a layered 10-node and 100-node DAG to completion;
 *  - the cost of one round of a 10,000-item array with parallelism 100 (100 items finish, 100
 *    start), and its status size;
 *  - round cost vs workflow size (a round taken mid-run) with the status bytes.
 * Medians over `runs` runs, with min and max. Run alone: `node --import tsx bench/core.ts [--runs N]`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import type { WorkflowNode, WorkflowSpec } from '../src/api/schema.js';
import type { WorkflowStatus } from '../src/api/status.js';
import { WORKFLOW_API_VERSION, type Workflow } from '../src/api/workflow.js';
import type { TaskObservation } from '../src/engine/plugins.js';
import { taskKey, type Observations, type RoundResult } from '../src/engine/types.js';
import { executeRound } from '../src/engine/workflow-executor.js';

export interface CoreBenchOptions {
  /** Independent runs; results are medians over them. @defaultValue 5 */
  runs?: number;
  /** Workflow sizes of the round-cost table. @defaultValue [10, 50, 100, 250, 500, 1000] */
  sizes?: number[];
  /** Items of the array benchmark. @defaultValue 10000 */
  arrayItems?: number;
  /** Parallelism of the array benchmark. @defaultValue 100 */
  arrayParallelism?: number;
  /** Print a table. @defaultValue true */
  print?: boolean;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface CoreBenchResult {
  options: Required<Omit<CoreBenchOptions, 'print'>>;
  dag: { nodes: number; roundsPerRun: number; roundsPerSecond: Spread; msPerWorkflow: Spread }[];
  array: {
    items: number;
    parallelism: number;
    msPerRound: Spread;
    statusBytesMidRun: number;
    statusBytesFinal: number;
    roundsToComplete: number;
  };
  roundCost: { nodes: number; usPerRound: Spread; statusBytes: number }[];
}

const T0 = Date.parse('2026-01-01T00:00:00Z');

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? 0,
    min: sorted[0] ?? 0,
    max: sorted[sorted.length - 1] ?? 0,
  };
}

function workflowOf(spec: WorkflowSpec, status?: WorkflowStatus): Workflow {
  return {
    apiVersion: WORKFLOW_API_VERSION,
    kind: 'Workflow',
    metadata: { name: 'bench', namespace: 'default', uid: 'bench-uid', generation: 1 },
    spec,
    ...(status ? { status } : {}),
  };
}

/** A layered DAG: layers of ⌈√n⌉ nodes, each node reading up to two nodes of the layer before. */
export function layeredDag(n: number): WorkflowSpec {
  const width = Math.max(1, Math.ceil(Math.sqrt(n)));
  const nodes: WorkflowNode[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / width);
    const inputs: NonNullable<WorkflowNode['inputs']> = {};
    if (layer === 0) inputs['v'] = { fromInput: 'v' };
    else {
      const prev = (layer - 1) * width;
      inputs['v'] = { fromNode: `n${prev + (i % width)}`, output: 'v' };
      inputs['w'] = { fromNode: `n${prev + ((i + 1) % width)}`, output: 'v' };
    }
    nodes.push({ id: `n${i}`, kind: 'task', task: 'echo', inputs });
  }
  return { inputs: { v: 1 }, tasks: { echo: { plugin: 'echo' } }, nodes };
}

function arraySpec(items: number, parallelism: number): WorkflowSpec {
  return {
    inputs: { items: Array.from({ length: items }, (_, i) => i) },
    tasks: { echo: { plugin: 'echo' } },
    nodes: [
      {
        id: 'map',
        kind: 'array',
        array: {
          over: { fromInput: 'items' },
          parallelism,
          node: { kind: 'task', task: 'echo', inputs: { item: { fromItem: true } } },
        },
      },
    ],
  };
}

/** Every startTask/checkTask of the round succeeds with outputs = inputs. */
function instantObservations(result: RoundResult): Observations {
  const tasks: Record<string, TaskObservation> = {};
  for (const action of result.actions) {
    if (action.type === 'startTask' || action.type === 'checkTask')
      tasks[taskKey(action.task.nodeId, action.task.attempt)] = {
        phase: 'Succeeded',
        outputs: { ...action.task.inputs },
      };
  }
  return { tasks };
}

interface Trace {
  rounds: number;
  states: { status: WorkflowStatus; observations: Observations }[];
}

/** Runs a spec to completion on the pure core, keeping each round's input. */
function complete(spec: WorkflowSpec, keep: boolean): Trace {
  let status: WorkflowStatus | undefined;
  let observations: Observations = {};
  const states: Trace['states'] = [];
  let rounds = 0;
  for (;;) {
    if (keep) states.push({ status: status ?? {}, observations });
    const result = executeRound({ workflow: workflowOf(spec, status), observations, now: T0 + rounds });
    rounds++;
    status = result.status;
    observations = instantObservations(result);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') break;
    if (rounds > 100_000) throw new Error('did not complete');
  }
  return { rounds, states };
}

/** Median-free timing of one call repeated until `budgetMs` passed; µs per call. */
function timePerCall(fn: () => void, budgetMs = 150): number {
  let calls = 0;
  const start = performance.now();
  do {
    fn();
    calls++;
  } while (performance.now() - start < budgetMs);
  return ((performance.now() - start) * 1000) / calls;
}

export async function benchCore(options: CoreBenchOptions = {}): Promise<CoreBenchResult> {
  const opts = {
    runs: options.runs ?? 5,
    sizes: options.sizes ?? [10, 50, 100, 250, 500, 1000],
    arrayItems: options.arrayItems ?? 10_000,
    arrayParallelism: options.arrayParallelism ?? 100,
  };
  const dag: CoreBenchResult['dag'] = [];
  for (const n of [10, 100]) {
    const spec = layeredDag(n);
    complete(spec, false); // warm-up
    const rps: number[] = [];
    const ms: number[] = [];
    let roundsPerRun = 0;
    for (let r = 0; r < opts.runs; r++) {
      let rounds = 0;
      let workflows = 0;
      const start = performance.now();
      while (performance.now() - start < 300) {
        rounds += complete(spec, false).rounds;
        workflows++;
      }
      const elapsed = performance.now() - start;
      roundsPerRun = rounds / workflows;
      rps.push((rounds / elapsed) * 1000);
      ms.push(elapsed / workflows);
    }
    dag.push({ nodes: n, roundsPerRun, roundsPerSecond: spread(rps), msPerWorkflow: spread(ms) });
  }

  const aspec = arraySpec(opts.arrayItems, opts.arrayParallelism);
  const trace = complete(aspec, true);
  const mid = trace.states[Math.floor(trace.states.length / 2)];
  if (!mid) throw new Error('no mid-run state');
  const arrayRuns: number[] = [];
  const midWorkflow = workflowOf(aspec, mid.status);
  for (let r = 0; r < opts.runs; r++)
    arrayRuns.push(
      timePerCall(() => executeRound({ workflow: midWorkflow, observations: mid.observations, now: T0 + 1e6 }), 300) /
        1000,
    );
  const final =
    trace.states.length > 0
      ? executeRound({
          workflow: workflowOf(aspec, trace.states[trace.states.length - 1]?.status),
          observations: trace.states[trace.states.length - 1]?.observations ?? {},
          now: T0 + 1e6,
        }).status
      : {};
  const array = {
    items: opts.arrayItems,
    parallelism: opts.arrayParallelism,
    msPerRound: spread(arrayRuns),
    statusBytesMidRun: Buffer.byteLength(JSON.stringify(mid.status)),
    statusBytesFinal: Buffer.byteLength(JSON.stringify(final)),
    roundsToComplete: trace.rounds,
  };

  const roundCost: CoreBenchResult['roundCost'] = [];
  for (const n of opts.sizes) {
    const spec = layeredDag(n);
    const t = complete(spec, true);
    const state = t.states[Math.floor(t.states.length / 2)];
    if (!state) continue;
    const wf = workflowOf(spec, state.status);
    const samples: number[] = [];
    for (let r = 0; r < opts.runs; r++)
      samples.push(timePerCall(() => executeRound({ workflow: wf, observations: state.observations, now: T0 + 1e6 })));
    roundCost.push({
      nodes: n,
      usPerRound: spread(samples),
      statusBytes: Buffer.byteLength(JSON.stringify(state.status)),
    });
  }
  const result: CoreBenchResult = { options: opts, dag, array, roundCost };
  if (options.print ?? true) printResult(result);
  return result;
}

export function printResult(result: CoreBenchResult): void {
  const s = (x: Spread, d: number) => [x.median.toFixed(d), x.min.toFixed(d), x.max.toFixed(d)];
  const t1 = new Table({ head: ['engine core', 'median', 'min', 'max'], style: { head: [], border: [] } });
  for (const d of result.dag) {
    t1.push([`${d.nodes}-node DAG: rounds/s (${d.roundsPerRun} rounds/workflow)`, ...s(d.roundsPerSecond, 0)]);
    t1.push([`${d.nodes}-node DAG: ms per workflow`, ...s(d.msPerWorkflow, 3)]);
  }
  const a = result.array;
  t1.push([`array ${a.items} items, parallelism ${a.parallelism}: ms per round`, ...s(a.msPerRound, 2)]);
  const t2 = new Table({
    head: ['nodes', 'µs/round median', 'min', 'max', 'status bytes'],
    style: { head: [], border: [] },
  });
  for (const r of result.roundCost) t2.push([String(r.nodes), ...s(r.usPerRound, 1), String(r.statusBytes)]);
  process.stdout.write(
    `${t1.toString()}\narray status: ${a.statusBytesMidRun} bytes mid-run, ${a.statusBytesFinal} bytes final; ${a.roundsToComplete} rounds to complete\n`,
  );
  process.stdout.write(
    `round cost vs workflow size (layered DAG, a round taken mid-run):\n${t2.toString()}\n${result.options.runs} runs each\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, items: { type: 'string' } } });
  const opts: CoreBenchOptions = {};
  if (values.runs) opts.runs = Number(values.runs);
  if (values.items) opts.arrayItems = Number(values.items);
  await benchCore(opts);
}
