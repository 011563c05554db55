/**
 * One `flotilla sandbox` run: start the sandbox, submit the examples (and send their signals),
 * generate load, make chaos, show the view, and — with a duration — stop, wait (bounded) for the
 * submitted workflows, check the invariants and print the summary. Returns the exit code: 0 when
 * stopped by Ctrl-C, or when the run ended by its duration with every workflow in its expected
 * phase and no invariant violated; 1 otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { FlyteCacheDemo, renderCacheDemo } from './flyte-cache.js';
import { join } from 'node:path';
import { WorkflowClient } from '../src/kube/workflow-client.js';
import { parseDuration } from '../src/api/duration.js';
import { Chaos } from './chaos.js';
import { loadExamples, sendExampleSignals, submitWorkflow, type Example } from './examples.js';
import {
  checkInvariants,
  type FinalWorkflow,
  type OwnershipRecord,
  type ReplicaDeath,
  type TaskStartRecord,
} from './invariants.js';
import { parseReplicaAudit } from './audit-parse.js';
import { LoadGenerator, loadShapes, LOAD_NAMESPACE } from './load.js';
import { judgeMemoryGrowth, MemorySampler, renderMemoryReport, replicaTargets, type MemoryBound } from './memory.js';
import { listStoredEvents, Observer } from './observe.js';
import { sandboxBanner, startSandbox, type RunningSandbox, type SandboxOptions } from './sandbox.js';
import { renderSummary, summarize } from './summary.js';
import { ViewCollector } from './view/collect.js';
import type { EventLine } from './view/model.js';
import { TerminalView } from './view/terminal.js';

export interface SessionOptions extends SandboxOptions {
  /** Load workflows to submit. @defaultValue 0 */
  workflows?: number;
  /** Load submissions per second. @defaultValue K / (duration / 2), else 5 */
  ratePerSecond?: number;
  /** Kill a random replica now and then. @defaultValue false */
  chaos?: boolean;
  /** Replicas chaos never kills (`replica-<n>`). @defaultValue none */
  chaosSpare?: readonly string[];
  /** Stop by itself after this long, then summarize. */
  durationMs?: number;
  /** Redraw the view in place (a TTY with the UI on); otherwise plain lines. @defaultValue false */
  tty?: boolean;
  /** Show progress at all (false: banner and summary only). @defaultValue true */
  ui?: boolean;
  /** Submit `examples/*.yaml`. @defaultValue true */
  examples?: boolean;
  /** @defaultValue the repository's examples/ */
  examplesDir?: string;
  /** After the duration, wait at most this long for submitted workflows to finish. @defaultValue 120000 */
  settleTimeoutMs?: number;
  /**
   * Sample each replica's memory every `intervalMs` (default 5000) into `<stateDir>/memory.jsonl`;
   * after a duration the summary gets a memory section, and growth beyond the bound fails the run.
   * Off when absent.
   */
  memory?: MemoryBound & { intervalMs?: number };
  /** Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  write?: (text: string) => void;
  cwd?: string;
}

const terminalPhases = new Set(['Succeeded', 'Failed', 'Aborted', 'TimedOut']);

/** True when the workflow has a sleep gate longer than `boundMs` (it cannot finish within a run). */
export function hasLongSleep(spec: unknown, boundMs: number): boolean {
  if (Array.isArray(spec)) return spec.some((v) => hasLongSleep(v, boundMs));
  if (typeof spec !== 'object' || spec === null) return false;
  for (const [key, value] of Object.entries(spec)) {
    if (
      key === 'gate' &&
      typeof value === 'object' &&
      value !== null &&
      'sleep' in value &&
      typeof value.sleep === 'string'
    ) {
      // An invalid one (undefined) fails validation, which is its expected phase's business.
      if ((parseDuration(value.sleep) ?? 0) > boundMs) return true;
    }
    if (hasLongSleep(value, boundMs)) return true;
  }
  return false;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function runSession(options: SessionOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const sandboxEvents: EventLine[] = [];
  let failovers = 0;
  const note = (text: string) => {
    sandboxEvents.push({ at: new Date().toISOString(), text });
    if (sandboxEvents.length > 20) sandboxEvents.shift();
    if (/ died /.test(text)) failovers++;
    if (!options.tty) write(`${text}\n`);
  };
  const sandbox: RunningSandbox = await startSandbox({ ...options, onEvent: note });
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const client = new WorkflowClient(sandbox.kubeConfig);
    const settleMs = options.settleTimeoutMs ?? 120_000;
    const observer = new Observer({
      kubeConfig: sandbox.kubeConfig,
      eventSink: sandbox.fleet?.eventSinkAddress ?? null,
    });
    await observer.start();
    stops.push(() => observer.stop());
    const fleet = sandbox.fleet;
    const sampler =
      options.memory && fleet
        ? new MemorySampler({
            targets: () => replicaTargets(fleet),
            intervalMs: options.memory.intervalMs,
            jsonlPath: join(sandbox.stateDir, 'memory.jsonl'),
            onError: (e) => note(`memory sample failed: ${e instanceof Error ? e.message : String(e)}`),
          })
        : undefined;
    sampler?.start(options.signal);
    if (sampler) stops.push(() => sampler.stop());

    // The examples, then their signals (a gate consumes its signal when it gets there).
    const expected = new Map<string, string>();
    const leftRunning: string[] = [];
    const examplesDir = options.examplesDir ?? join(import.meta.dirname, '..', 'examples');
    let examples: Example[] = [];
    if (options.examples ?? true) {
      examples = loadExamples(examplesDir);
      for (const example of examples) {
        const key = `${example.workflow.metadata.namespace}/${example.workflow.metadata.name}`;
        await submitWorkflow(client, example.workflow);
        if (hasLongSleep(example.workflow.spec, settleMs + (options.durationMs ?? 0))) leftRunning.push(key);
        else expected.set(key, example.expectedPhase);
      }
      for (const example of examples) {
        await sendExampleSignals(sandbox.kubeConfig, example).catch((error: unknown) =>
          note(
            `signal for ${example.workflow.metadata.name} not sent: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      }
    }
    // --flyte: a cached FlyteWorkflow runs twice; the second takes its tasks' outputs from the catalog.
    let cacheDemo: FlyteCacheDemo | undefined;
    if (options.flyte && sandbox.fleet) {
      cacheDemo = new FlyteCacheDemo({
        kubeConfig: sandbox.kubeConfig,
        file: join(examplesDir, 'flyte', 'cached-chain.yaml'),
        onEvent: note,
      });
      const demoStop = new AbortController();
      stops.push(() => demoStop.abort());
      cacheDemo.start(demoStop.signal);
    }
    const gate = examples.find((e) => Object.keys(e.signals).length > 0);
    const gateName = gate ? Object.keys(gate.signals)[0] : undefined;
    const banner = sandboxBanner(
      sandbox,
      options.cwd,
      gate && gateName
        ? {
            namespace: gate.workflow.metadata.namespace,
            name: gate.workflow.metadata.name,
            signal: gateName,
            value: JSON.stringify(gate.signals[gateName]),
          }
        : undefined,
    );
    write(banner);
    if (leftRunning.length > 0)
      write(`(not waited for: ${leftRunning.join(', ')} — a sleep gate longer than the run)\n`);

    const busy = new AbortController();
    stops.push(() => busy.abort());
    const total = options.workflows ?? 0;
    let load: LoadGenerator | undefined;
    if (total > 0) {
      const rate = options.ratePerSecond ?? (options.durationMs ? Math.max(1, total / (options.durationMs / 2000)) : 5);
      load = new LoadGenerator({
        client,
        shapes: loadShapes(examples.length > 0 ? examples : loadExamples(examplesDir)),
        total,
        ratePerSecond: rate,
        onError: (e) => note(`load submit failed: ${e instanceof Error ? e.message : String(e)}`),
      });
      load.start(busy.signal);
    }
    let chaos: Chaos | undefined;
    const deaths: ReplicaDeath[] = []; // the chaos SIGKILLs end the killed replicas' open rounds
    if (options.chaos && sandbox.fleet) {
      chaos = new Chaos({
        fleet: sandbox.fleet,
        ...(options.chaosSpare ? { spare: options.chaosSpare } : {}),
        onKill: (r) => {
          deaths.push({ replica: r, at: Date.now() });
          note(`chaos: SIGKILL ${r}`);
        },
      });
      chaos.start(busy.signal);
    }
    const submitted = () => expected.size + leftRunning.length + (load?.submitted ?? 0);
    if (options.ui ?? true) {
      const collector = new ViewCollector({
        kubeConfig: sandbox.kubeConfig,
        fleet: sandbox.fleet,
        observer,
        startedAt: sandbox.startedAt,
        submitted,
        sandboxEvents: () => sandboxEvents,
      });
      const view = new TerminalView({
        collector,
        tty: options.tty ?? false,
        write,
        columns: () => process.stdout.columns || 100,
        footer: banner.slice(banner.indexOf('Try:')),
      });
      view.start();
      stops.push(() => view.stop());
    }

    await sleep(options.durationMs ?? 2 ** 31 - 1, options.signal);
    if (options.durationMs === undefined || options.signal.aborted) {
      await stopAll();
      return 0;
    }
    // The duration is over: no more load or chaos; wait for what was submitted, then judge.
    busy.abort();
    chaos?.stop();
    await load?.finished();
    for (const name of load?.names ?? []) expected.set(`${LOAD_NAMESPACE}/${name}`, 'Succeeded');
    const deadline = Date.now() + settleMs;
    const pending = () =>
      [...expected.keys()].filter((key) => !terminalPhases.has(observer.workflows.get(key)?.phase ?? ''));
    const demoPending = () => cacheDemo !== undefined && !cacheDemo.stats.done && cacheDemo.stats.error === undefined;
    while ((pending().length > 0 || demoPending()) && Date.now() < deadline && !options.signal.aborted)
      await sleep(500, options.signal);
    await sleep(1_000, options.signal); // the last events reach the sink
    const sinkAddress = sandbox.fleet?.eventSinkAddress;
    const checkEvents = Boolean(sinkAddress) && (sandbox.fleet?.replicaInfos.length ?? 0) > 0;
    const events = checkEvents && sinkAddress ? await listStoredEvents(sinkAddress, [...expected.keys()]) : [];
    await stopAll();
    const workflows: FinalWorkflow[] = [...expected].map(([key, expectedPhase]) => {
      const [namespace = '', name = ''] = key.split('/');
      return { namespace, name, expectedPhase, phase: observer.workflows.get(key)?.phase ?? null };
    });
    const ownership: OwnershipRecord[] = [];
    const taskStarts: TaskStartRecord[] = [];
    let audited = false;
    for (const info of sandbox.fleet?.replicaInfos ?? []) {
      if (info.auditLog && existsSync(info.auditLog)) {
        audited = true;
        const audit = parseReplicaAudit(readFileSync(info.auditLog, 'utf8'));
        ownership.push(...audit.ownership);
        taskStarts.push(...audit.taskStarts);
      }
    }
    const podCreates = sandbox.apiServer.faults
      .audit({ resource: 'pods', verb: 'create' })
      .map((e) => ({ namespace: e.namespace, name: e.name, code: e.code }));
    const report = checkInvariants({
      workflows,
      podCreates,
      history: observer.history,
      ...(audited ? { ownership, taskStarts, deaths } : {}),
      ...(checkEvents ? { events } : {}),
    });
    const summary = summarize({
      durationSeconds: (Date.now() - sandbox.startedAt.getTime()) / 1000,
      workflows: [...observer.workflows.values()].filter((w) => expected.has(`${w.namespace}/${w.name}`)),
      submitted: expected.size,
      failovers,
      invariants: report,
    });
    const memory = sampler ? judgeMemoryGrowth(sampler.samples, options.memory, sampler.intervalMs) : undefined;
    const demo = cacheDemo?.stats;
    // The demo holds when both executions succeeded and the second took every task from the cache.
    const demoOk = demo === undefined || (demo.done && demo.succeeded === 2 && demo.hits > 0);
    const ok = summary.ok && (load?.failedSubmits ?? 0) === 0 && (memory?.ok ?? true) && demoOk;
    write(
      renderSummary({
        ...summary,
        ok,
        ...(memory ? { memory: renderMemoryReport(memory) } : {}),
        ...(demo ? { cache: renderCacheDemo(demo) } : {}),
      }),
    );
    if (load && load.failedSubmits > 0) write(`  ${load.failedSubmits} load workflows could not be submitted\n`);
    return ok ? 0 : 1;
  } finally {
    await stopAll();
    await sandbox.stop();
  }
}
