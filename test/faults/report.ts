/**
 * A fault scenario's report: what was injected and when, the workload and how it ended, which
 * invariants were checked and what broke. Every scenario prints one (as test diagnostics, so it
 * shows in CI's output) and, when `FLOTILLA_FAULT_REPORTS` names a directory, writes it there as
 * JSON for tooling.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InvariantReport } from '../../sandbox/invariants.js';

export interface Injection {
  /** Seconds since the scenario started. */
  atSeconds: number;
  what: string;
}

export interface ScenarioReport {
  scenario: string;
  /** The faults, in order, with the time each was injected. */
  injected: Injection[];
  /** Workflows submitted by the scenario, by the phase they ended in. */
  phases: Record<string, number>;
  submitted: number;
  invariants: InvariantReport;
  /** Replica processes that exited without the scenario killing or stopping them. */
  unexpectedExits: string[];
  durationSeconds: number;
  /** Scenario-specific observations (failover times, counts of refusals, ...). */
  notes: string[];
}

export function scenarioOk(report: ScenarioReport): boolean {
  return report.invariants.ok && report.unexpectedExits.length === 0;
}

export function renderScenarioReport(report: ScenarioReport): string {
  const lines = [
    `scenario ${report.scenario}: ${scenarioOk(report) ? 'every invariant holds' : 'FAILED'} (${report.durationSeconds.toFixed(1)} s)`,
  ];
  lines.push('  injected:');
  if (report.injected.length === 0) lines.push('    (nothing)');
  for (const i of report.injected) lines.push(`    +${i.atSeconds.toFixed(1)} s  ${i.what}`);
  const phases = Object.entries(report.phases)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([p, n]) => `${p} ${n}`)
    .join(' · ');
  lines.push(`  workload: ${report.submitted} submitted; ended ${phases || '(none)'}`);
  const c = report.invariants.counts;
  lines.push(`  checked:  ${report.invariants.checked.join(', ')}`);
  lines.push(
    `  counted:  ${c.workflows} workflows, ${c.podCreates} pod creates (${c.distinctPods} distinct), ${c.rounds} rounds audited (${c.cutRounds} cut by a kill, ${c.fencedRounds} overlapping but fenced), ${c.taskStarts} task starts (${c.distinctTaskStarts} distinct attempts), ${c.observations} status observations, ${c.events} events`,
  );
  for (const note of report.notes) lines.push(`  note:     ${note}`);
  if (report.unexpectedExits.length > 0)
    lines.push(`  replicas that exited on their own: ${report.unexpectedExits.join(', ')}`);
  for (const v of report.invariants.violations.slice(0, 20))
    lines.push(`  VIOLATION ${v.code} ${v.subject}: ${v.detail}`);
  if (report.invariants.violations.length > 20)
    lines.push(`  ... and ${report.invariants.violations.length - 20} more violations`);
  return `${lines.join('\n')}\n`;
}

/** Prints the report as `# ` lines (test diagnostics) and saves it when asked. */
export function publishReport(report: ScenarioReport): void {
  process.stdout.write(renderScenarioReport(report).replace(/^/gm, '# ').replace(/# $/, ''));
  const dir = process.env['FLOTILLA_FAULT_REPORTS'];
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${report.scenario}.json`), `${JSON.stringify(report, null, 2)}\n`);
  }
}
