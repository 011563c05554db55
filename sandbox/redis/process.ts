/**
 * One redis-server (or redis-sentinel) child process for the cluster and Sentinel launchers (tests
 * and `flotilla sandbox --redis-mode`): started with its arguments, SIGKILLed or stopped with a
 * bounded wait, and killed when the process that started it exits, so no server outlives its test
 * or sandbox.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Socket } from 'node:net';
import { createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { waitFor } from '../wait.js';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export interface RedisProcessOptions {
  /** The port speaks TLS only (the readiness PING goes over TLS, certificate not checked). @defaultValue false */
  readonly tls?: boolean;
  /**
   * Run in its own process group, so a Ctrl-C on the terminal reaches only the process that
   * started it (the sandbox stops its Redis last, after the replicas). @defaultValue false
   */
  readonly detached?: boolean;
}

export class RedisProcess {
  private child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly options: RedisProcessOptions = {},
  ) {}

  /** The PID while running, else null. */
  get pid(): number | null {
    return this.running ? (this.child?.pid ?? null) : null;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process and waits (at most `timeoutMs`) until it answers PING on its port. */
  async start(timeoutMs = 10_000): Promise<void> {
    installExitHook();
    const child = spawn(this.command, [...this.args], { stdio: 'ignore', detached: this.options.detached ?? false });
    child.on('error', () => undefined);
    live.add(child);
    child.once('exit', () => live.delete(child));
    this.child = child;
    await waitFor(() => pingPort(this.port, this.options.tls ?? false), {
      timeoutMs,
      what: `${this.command} on port ${this.port}`,
    });
  }

  /** SIGKILLs the process, as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** Whether something on loopback `port` answers a Redis PING (auth errors count as up). */
export function pingPort(port: number, tls = false): Promise<boolean> {
  return new Promise((resolve) => {
    if (tls) {
      const secure = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => secure.write('PING\r\n'));
      const finish = (ok: boolean) => {
        secure.destroy();
        resolve(ok);
      };
      secure.setTimeout(500, () => finish(false));
      secure.once('error', () => finish(false));
      secure.once('data', (data: Buffer) => finish(/^(\+PONG|-NOAUTH)/.test(data.toString())));
      return;
    }
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct free loopback ports; with `busOffset` each port plus that offset is free too
 * (Redis Cluster's bus listens on port + 10000).
 */
export async function freePorts(count: number, busOffset = 0): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count && tries < 1000; tries++) {
    const port = 20_000 + Math.floor(Math.random() * (65_535 - 20_000 - busOffset));
    if (ports.includes(port) || ports.includes(port + busOffset)) continue;
    if (!(await listenable(port))) continue;
    if (busOffset > 0 && !(await listenable(port + busOffset))) continue;
    ports.push(port);
  }
  if (ports.length < count) throw new Error(`no ${count} free loopback ports found`);
  return ports;
}
