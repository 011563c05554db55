/**
 * The benchmark report's data model: what `bench/run.ts` writes to
 * `bench/results/<date>-<name>.json` (format version 1), and what every suite returns.
 */
import type { MachineInfo } from './machine.js';
import type { Spread } from './stats.js';

export type { Spread };

/** One measured figure, median with min/max over the suite's repeats. */
export interface Figure extends Spread {
  /** Stable id, `<suite>.<what>`, e.g. `peer.flowproducer.workflowsPerSecond`. */
  id: string;
  suite: string;
  label: string;
  unit: string;
  /** Which direction is an improvement. */
  better: 'higher' | 'lower';
  /** Samples behind the spread (repeats, or 1 for a figure measured once). */
  samples: number;
  /** The samples themselves, in repeat order, where a ratio pairs them with another figure's. */
  values?: number[];
}

/**
 * A ratio of two figures. `paired`: both were measured in the same repeats, and the spread is
 * over the per-repeat ratios (noise common to a repeat cancels). Otherwise median ÷ median with
 * the widest bounds (min ÷ max, max ÷ min).
 */
export interface Ratio extends Spread {
  paired: boolean;
  id: string;
  label: string;
  numerator: string;
  denominator: string;
}

export type SuiteStatus = 'ok' | 'not-run' | 'failed';

export interface SuiteReport {
  name: string;
  title: string;
  status: SuiteStatus;
  /** Why it did not run (`needs ...`) or how it failed. */
  reason?: string;
  durationSeconds: number;
  parameters: Record<string, unknown>;
  /** The suite's own result object, for anything the figures leave out. */
  raw?: unknown;
  /** The suite's own Markdown section (tables the one-row-per-figure table cannot hold), after the main table. */
  markdown?: string;
}

export interface BenchReport {
  formatVersion: 1;
  name: string;
  /** YYYY-MM-DD of the start (UTC). */
  date: string;
  startedAt: string;
  durationSeconds: number;
  mode: 'full' | 'quick';
  repeats: number;
  only: string[];
  machine: MachineInfo;
  suites: SuiteReport[];
  figures: Figure[];
  ratios: Ratio[];
}

export interface SuiteContext {
  quick: boolean;
  /** Repeats per figure. */
  repeats: number;
  /** A Redis the suites share (started by the runner), so queue, ceiling and peer meet the same server. */
  redisUrl?: string;
}

/** What a suite's run gives back. */
export interface SuiteOutput {
  parameters: Record<string, unknown>;
  figures: Array<Omit<Figure, 'suite' | 'id'> & { id: string }>;
  raw: unknown;
  /** A Markdown section of the suite's own, appended to the report. */
  markdown?: string;
}

export interface Suite {
  name: string;
  title: string;
  /** Why it cannot run yet (a missing module), or undefined when it can. */
  unavailable(): string | undefined;
  run(context: SuiteContext): Promise<SuiteOutput>;
}
