/**
 * The end-of-run summary: workflows by phase, throughput, creation→success latency (p50/p99),
 * pods created vs distinct pod names, replica deaths (failovers) seen, the invariant report, and
 * the verdict (ok only when every submitted workflow reached its expected phase and no invariant
 * was violated).
 */
import type { InvariantReport } from './invariants.js';
import type { WorkflowSummary } from './observe.js';

export interface RunSummary {
  durationSeconds: number;
  phases: Record<string, number>;
  submitted: number;
  finished: number;
  /** Finished load workflows per second of run time. */
  throughput: number;
  latencyMs: { p50: number | null; p99: number | null };
  pods: { created: number; distinct: number };
  /** Replicas that died (chaos kills and crashes). */
  failovers: number;
  invariants: InvariantReport;
  /** The cached-task demo's line (`renderCacheDemo` in flyte-cache.ts), with `--flyte`. */
  cache?: string;
  /** The memory section's lines (`renderMemoryReport` in memory.ts), when memory was sampled. */
  memory?: readonly string[];
  ok: boolean;
}

/** The q-quantile (0..1) of `values` (nearest rank); null when empty. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? null;
}

export interface SummaryInput {
  durationSeconds: number;
  workflows: readonly WorkflowSummary[];
  submitted: number;
  failovers: number;
  invariants: InvariantReport;
}

export function summarize(input: SummaryInput): RunSummary {
  const phases: Record<string, number> = {};
  for (const w of input.workflows) phases[w.phase] = (phases[w.phase] ?? 0) + 1;
  const succeeded = input.workflows.filter((w) => w.phase === 'Succeeded' && w.finishedAt !== null);
  const latencies = succeeded.map((w) => (w.finishedAt as number) - w.createdAt);
  const finished = input.workflows.filter((w) => w.finishedAt !== null).length;
  const loadFinished = input.workflows.filter((w) => w.load && w.finishedAt !== null).length;
  return {
    durationSeconds: input.durationSeconds,
    phases,
    submitted: input.submitted,
    finished,
    throughput: input.durationSeconds > 0 ? loadFinished / input.durationSeconds : 0,
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
    pods: { created: input.invariants.counts.podCreates, distinct: input.invariants.counts.distinctPods },
    failovers: input.failovers,
    invariants: input.invariants,
    ok: input.invariants.ok,
  };
}

function ms(value: number | null): string {
  return value === null ? '-' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function renderSummary(s: RunSummary): string {
  const phases =
    Object.entries(s.phases)
      .map(([p, c]) => `${p} ${c}`)
      .join(' · ') || 'none';
  const lines = [
    `sandbox summary (${s.durationSeconds.toFixed(0)} s)`,
    `  workflows       ${phases}  (submitted ${s.submitted}, finished ${s.finished})`,
    `  throughput      ${s.throughput.toFixed(2)} wf/s (load workflows finished per second)`,
    `  create→success  p50 ${ms(s.latencyMs.p50)} · p99 ${ms(s.latencyMs.p99)}`,
    `  pods            ${s.pods.created} created · ${s.pods.distinct} distinct names`,
    ...(s.cache !== undefined ? [s.cache] : []),
    `  failovers       ${s.failovers} replica deaths`,
    `  invariants      ${s.invariants.checked.join(', ')}: ${s.invariants.ok ? 'all hold' : `${s.invariants.violations.length} violation(s)`}`,
  ];
  for (const v of s.invariants.violations.slice(0, 20)) lines.push(`    ✗ ${v.code} ${v.subject}: ${v.detail}`);
  if (s.invariants.violations.length > 20) lines.push(`    … and ${s.invariants.violations.length - 20} more`);
  if (s.memory) lines.push(...s.memory);
  lines.push(s.ok ? 'result: OK — every workflow reached its expected phase' : 'result: FAILED');
  return `${lines.join('\n')}\n`;
}
