/** The sandbox as a real process for tests, and process-table helpers. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');
export const flotillaBin = join(repo, 'bin', 'flotilla.mjs');

export interface SandboxRun {
  child: ChildProcess;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runSandbox(args: string[], cwd: string): SandboxRun {
  const child = spawn(process.execPath, [flotillaBin, 'sandbox', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  return { child, output: () => out, exit };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) is not alive.
  const ps = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  return ps.stdout.trim() !== '' && !ps.stdout.trim().startsWith('Z');
}

/** Every process whose process group is `pgid` (a sandbox child leads its own group). */
export function groupMembers(pgid: number): number[] {
  const ps = spawnSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  const out: number[] = [];
  for (const line of ps.stdout.split('\n')) {
    const [p, g, stat] = line.trim().split(/\s+/);
    if (Number(g) === pgid && !stat?.startsWith('Z')) out.push(Number(p));
  }
  return out;
}

/** The run's exit, or a failure carrying the end of its output when it takes longer than `ms`. */
export async function exitWithin(
  run: SandboxRun,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`the sandbox did not exit within ${ms} ms; the end of its output:\n${run.output().slice(-8_000)}`),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([run.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a run that is still going (for `after`). */
export async function killRun(run: SandboxRun): Promise<void> {
  if (run.child.exitCode === null && run.child.signalCode === null) {
    run.child.kill('SIGINT');
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 20_000);
    await run.exit;
    clearTimeout(timer);
  }
}
