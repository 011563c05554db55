/**
 * The sandbox's child processes: spawned each in its own process group (so Ctrl-C on the terminal
 * reaches the sandbox alone, which then stops its children in order), ready when a line on stdout
 * matches, logged to a file, and stopped with SIGTERM to the whole group, then SIGKILL after a
 * bound. A child that dies on its own is reported through `onExit`, never thrown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createServer } from 'node:net';
import { SandboxError } from './errors.js';

export interface ProcessSpec {
  /** Unique name ("redis", "replica-1"): used in logs, sandbox.json and the view. */
  name: string;
  command: string;
  args: readonly string[];
  /** The child is ready once a stdout line matches; the match is kept (e.g. the address). */
  ready: RegExp;
  /** @defaultValue 30000 */
  readyTimeoutMs?: number;
  /** Stdout and stderr are appended here. When absent they are dropped. */
  logFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** The ready line's match. */
  readonly match: RegExpMatchArray;
  /** Resolves once the process has exited (for whatever reason). */
  readonly exited: Promise<ExitInfo>;
  running(): boolean;
  /** Sends `signal` to the child's whole process group. */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Starts a child and waits for its ready line; on failure (exit, timeout) the child is killed and a `SandboxError` thrown. */
export async function spawnProcess(spec: ProcessSpec): Promise<ManagedProcess> {
  let log: WriteStream | undefined;
  if (spec.logFile) {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    log = createWriteStream(spec.logFile, { flags: 'a' });
  }
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', () => {
      exitInfo ??= { code: null, signal: null };
      resolve(exitInfo);
    });
  });
  void exited.then(() => log?.end());
  child.stderr?.on('data', (chunk: Buffer) => log?.write(chunk));
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    let buffered = '';
    let done = false;
    const finish = (error: Error | undefined, m?: RegExpMatchArray) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else if (m) resolve(m);
    };
    const timeoutMs = spec.readyTimeoutMs ?? 30_000;
    const timer = setTimeout(
      () => finish(new SandboxError('ProcessNotReady', `${spec.name} printed no ready line within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      log?.write(chunk);
      if (done) return;
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = spec.ready.exec(line);
        if (m) return finish(undefined, m);
      }
    });
    void exited.then((info) =>
      finish(
        new SandboxError(
          'ProcessExited',
          `${spec.name} exited before it was ready (code ${info.code}, signal ${info.signal})${spec.logFile ? `; see ${spec.logFile}` : ''}`,
        ),
      ),
    );
  }).catch(async (error: unknown) => {
    if (!exitInfo) {
      killGroup(child, 'SIGKILL');
      await exited;
    }
    throw error;
  });
  const pid = child.pid as number;
  const managed: ManagedProcess = {
    name: spec.name,
    pid,
    match,
    exited,
    running: () => exitInfo === undefined,
    kill: (signal) => {
      if (exitInfo === undefined) killGroup(child, signal);
    },
    stop: async (graceMs = 5_000) => {
      if (exitInfo !== undefined) {
        killGroup(child, 'SIGKILL'); // grandchildren of a dead leader, if any
        return exitInfo;
      }
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      const info = await exited;
      clearTimeout(timer);
      killGroup(child, 'SIGKILL');
      return info;
    },
  };
  return managed;
}

/** A free TCP port on loopback (bound and released: another process may take it first, rarely). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
