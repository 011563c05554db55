/**
 * Real `flotilla` processes for the fleet tests: spawn one, wait for its start line, signal it
 * (SIGTERM, SIGKILL, SIGSTOP/SIGCONT), and read the per-round audit logs of replicas.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const flotillaBin = join(root, 'bin/flotilla.mjs');

export interface FlotillaProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** `performance.timeOrigin + performance.now()` when it was seen to exit, for audits. */
  exitedAtMs(): number | undefined;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM (after SIGCONT, in case it was stopped), then SIGKILL after `killAfterMs`. */
  stop(killAfterMs?: number): Promise<number | string>;
}

/** Starts `flotilla ARGS` and waits until stdout matches `started`. */
export async function startFlotilla(args: readonly string[], started: RegExp, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<FlotillaProcess> {
  const child = spawn(process.execPath, [flotillaBin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  let exitedAt: number | undefined;
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-200_000)));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      exitedAt = Date.now();
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flotilla ${args[0] ?? ''} did not start in time: ${stderr.slice(-2000)}`)), options.timeoutMs ?? 40_000);
    const check = () => {
      if (started.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`flotilla ${args[0] ?? ''} exited with ${String(code)} before starting: ${stderr.slice(-2000)}`));
    });
    check();
  });
  const handle: FlotillaProcess = {
    child,
    pid: child.pid ?? -1,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    exitedAtMs: () => exitedAt,
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stop: async (killAfterMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return handle;
}

/** One audit line of `flotilla controller --audit-log`. */
export interface AuditRecord {
  readonly t: 'start' | 'end';
  readonly shard: number | string;
  readonly replica: string;
  readonly key: string;
  /** ms since the epoch */
  readonly at: number;
}

export interface RoundInterval {
  readonly shard: string;
  readonly replica: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly open: boolean;
}

export function readAudit(file: string): AuditRecord[] {
  if (!existsSync(file)) return [];
  const records: AuditRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as AuditRecord);
    } catch {
      // A torn last line of a killed process.
    }
  }
  return records;
}

function atOf(value: unknown): number {
  return typeof value === 'number' ? value : Date.parse(String(value));
}

/**
 * Pairs starts with ends per (replica, shard, key). A start without an end counts as running
 * until `diedAtMs` (the process died), or forever when it is still alive.
 */
export function roundIntervals(records: readonly AuditRecord[], diedAtMs?: number): RoundInterval[] {
  const open = new Map<string, AuditRecord[]>();
  const intervals: RoundInterval[] = [];
  for (const r of records) {
    const id = `${r.replica}|${String(r.shard)}|${r.key}`;
    if (r.t === 'start') {
      const list = open.get(id) ?? [];
      list.push(r);
      open.set(id, list);
    } else {
      const start = open.get(id)?.shift();
      if (start) intervals.push({ shard: String(r.shard), replica: r.replica, key: r.key, start: atOf(start.at), end: atOf(r.at), open: false });
    }
  }
  for (const list of open.values()) {
    for (const s of list) intervals.push({ shard: String(s.shard), replica: s.replica, key: s.key, start: atOf(s.at), end: diedAtMs ?? Number.POSITIVE_INFINITY, open: true });
  }
  return intervals;
}

/** The ownership audit: two replicas' rounds on one shard never overlap in time. */
export function findRoundOverlaps(intervals: readonly RoundInterval[]): string[] {
  const byShard = new Map<string, RoundInterval[]>();
  for (const i of intervals) byShard.set(i.shard, [...(byShard.get(i.shard) ?? []), i]);
  const problems: string[] = [];
  for (const [shard, list] of byShard) {
    const sorted = [...list].sort((a, b) => a.start - b.start);
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i];
      if (!a) continue;
      for (let j = i + 1; j < sorted.length; j++) {
        const b = sorted[j];
        if (!b || b.start >= a.end) break;
        if (a.replica !== b.replica) problems.push(`shard ${shard}: ${a.replica} ${a.key} [${a.start}, ${a.end}] overlaps ${b.replica} ${b.key} [${b.start}, ${b.end}]`);
      }
    }
  }
  return problems;
}
