/**
 * Output as kubectl prints it: `-o table|wide|json|yaml|name` and `--no-headers`.
 *
 * Tables are borderless: upper-case headers, columns padded to their widest cell and separated by
 * three spaces, no trailing blanks. `wide` adds the columns marked `wide`. `json` and `yaml`
 * print the objects themselves (a list as `kind: List` with `items`, as kubectl does); `name`
 * prints `kind/name`, one a line.
 */
import { Option } from 'commander';
import { stringify } from 'yaml';

export const OutputFormats = ['table', 'wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OutputFormats)[number];

export interface OutputFlags {
  output: OutputFormat;
  /** commander's negation of `--no-headers`. */
  headers: boolean;
}

/** `-o, --output` with the formats a command supports (all by default), `table` by default. */
export function outputOption(formats: readonly OutputFormat[] = OutputFormats): Option {
  return new Option('-o, --output <format>', 'output format').choices([...formats]).default('table');
}

export function noHeadersOption(): Option {
  return new Option('--no-headers', 'print tables without their header line');
}

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
  /** Shown only with `-o wide`. */
  readonly wide?: boolean;
}

export interface TableOptions {
  wide?: boolean;
  headers?: boolean;
}

const SEPARATOR = '   ';

/** Rows as a borderless table (see the module comment); empty string for no rows and no headers. */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[], options: TableOptions = {}): string {
  const shown = columns.filter((c) => options.wide === true || c.wide !== true);
  const cells = rows.map((row) => shown.map((c) => oneLine(c.value(row))));
  if (options.headers !== false) cells.unshift(shown.map((c) => c.header.toUpperCase()));
  if (cells.length === 0) return '';
  const widths = shown.map((_c, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  return (
    cells
      .map((line) =>
        line
          .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
          .join(SEPARATOR)
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** `value` as JSON or YAML text. */
export function renderData(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

/** Several objects the way kubectl prints a list in JSON or YAML. */
export function asList(items: readonly unknown[]): {
  apiVersion: 'v1';
  kind: 'List';
  items: unknown[];
  metadata: { resourceVersion: string };
} {
  return { apiVersion: 'v1', kind: 'List', items: [...items], metadata: { resourceVersion: '' } };
}

/** `5s`, `3m`, `2h`, `4d`, as kubectl shows ages; `<unknown>` without a time. */
export function age(since: string | number | undefined, nowMs: number = Date.now()): string {
  if (since === undefined) return '<unknown>';
  const start = typeof since === 'number' ? since : Date.parse(since);
  if (!Number.isFinite(start)) return '<unknown>';
  const seconds = Math.max(0, Math.floor((nowMs - start) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
