/**
 * A real Sentinel group for tests and `flotilla sandbox --redis-mode sentinel`: one master, `replicas` replicas (2 by default) and `sentinels`
 * sentinels (3, quorum 2) on free loopback ports, started from Debian's redis-server and
 * redis-sentinel, each in its own directory of one temporary folder. Detection is fast
 * (`down-after-milliseconds` 1000) so a failover takes a few seconds. `stop()` kills every process
 * and removes the folder; they are also killed if the starting process exits.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts, RedisProcess, type RedisProcessOptions } from './process.js';
import { waitFor } from '../wait.js';

const run = promisify(execFile);

export interface RedisSentinelOptions {
  /** Replicas of the master. @defaultValue 2 */
  replicas?: number;
  /** Sentinels (quorum: a majority). @defaultValue 3 */
  sentinels?: number;
  /** Name of the monitored master. @defaultValue 'flotilla' */
  masterName?: string;
  /** Password of the data nodes' default user (`requirepass`, `masterauth`, sentinels' `auth-pass`). @defaultValue none */
  password?: string;
  /** Password of the sentinels themselves (their `requirepass`). @defaultValue none */
  sentinelPassword?: string;
  /** Folder of the processes' directories, emptied first and removed by `stop()`. @defaultValue a new temporary folder */
  dir?: string;
  /** Each process logs to `<logDir>/redis-<port>.log` (`sentinel-<port>.log`). @defaultValue a log in its own directory */
  logDir?: string;
  /** Processes in their own process groups (see {@link RedisProcessOptions}). @defaultValue false */
  detached?: boolean;
}

export class RedisSentinelGroup {
  private constructor(
    readonly dir: string,
    readonly masterName: string,
    readonly servers: ReadonlyMap<number, RedisProcess>,
    readonly sentinels: ReadonlyMap<number, RedisProcess>,
    private readonly passwords: { data?: string; sentinel?: string } = {},
  ) {}

  /** PIDs of the running data nodes and sentinels. */
  get pids(): number[] {
    return [...this.servers.values(), ...this.sentinels.values()]
      .map((p) => p.pid)
      .filter((p): p is number => p !== null);
  }

  /** `redis+sentinel://` URL naming every sentinel and the master. */
  get url(): string {
    return `redis+sentinel://${[...this.sentinels.keys()].map((p) => `127.0.0.1:${p}`).join(',')}/${this.masterName}`;
  }

  static async start(options: RedisSentinelOptions = {}): Promise<RedisSentinelGroup> {
    const replicas = options.replicas ?? 2;
    const sentinelCount = options.sentinels ?? 3;
    const masterName = options.masterName ?? 'flotilla';
    const ports = await freePorts(1 + replicas + sentinelCount);
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'flotilla-redis-sentinel-'));
    if (options.dir) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    }
    if (options.logDir) mkdirSync(options.logDir, { recursive: true });
    const logFile = (nodeDir: string, name: string) =>
      options.logDir ? join(options.logDir, `${name}.log`) : join(nodeDir, `${name}.log`);
    const processOptions: RedisProcessOptions = { detached: options.detached ?? false };
    const [masterPort = 0, ...rest] = ports;
    const servers = new Map<number, RedisProcess>();
    const sentinels = new Map<number, RedisProcess>();
    for (const [i, port] of [masterPort, ...rest.slice(0, replicas)].entries()) {
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        nodeDir,
        '--logfile',
        logFile(nodeDir, `redis-${port}`),
        '--daemonize',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--protected-mode',
        'no',
        ...(options.password ? ['--requirepass', options.password, '--masterauth', options.password] : []),
        ...(i === 0 ? [] : ['--replicaof', '127.0.0.1', String(masterPort)]),
      ];
      servers.set(port, new RedisProcess(port, 'redis-server', args, processOptions));
    }
    const quorum = Math.floor(sentinelCount / 2) + 1;
    const sentinelBinary = existsSync('/usr/bin/redis-sentinel') ? 'redis-sentinel' : 'redis-server';
    for (const port of rest.slice(replicas)) {
      const nodeDir = join(dir, `sentinel-${port}`);
      mkdirSync(nodeDir);
      const conf = join(nodeDir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'protected-mode no',
          'daemonize no',
          `dir ${nodeDir}`,
          `logfile ${logFile(nodeDir, `sentinel-${port}`)}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 5000`,
          `sentinel parallel-syncs ${masterName} 2`,
          ...(options.password ? [`sentinel auth-pass ${masterName} ${options.password}`] : []),
          ...(options.sentinelPassword
            ? [`requirepass ${options.sentinelPassword}`, `sentinel sentinel-pass ${options.sentinelPassword}`]
            : []),
          '',
        ].join('\n'),
      );
      sentinels.set(
        port,
        new RedisProcess(
          port,
          sentinelBinary,
          sentinelBinary === 'redis-server' ? [conf, '--sentinel'] : [conf],
          processOptions,
        ),
      );
    }
    const group = new RedisSentinelGroup(dir, masterName, servers, sentinels, {
      ...(options.password ? { data: options.password } : {}),
      ...(options.sentinelPassword ? { sentinel: options.sentinelPassword } : {}),
    });
    try {
      await Promise.all([...servers.values()].map((server) => server.start()));
      await Promise.all([...sentinels.values()].map((sentinel) => sentinel.start()));
      await group.waitSettled();
    } catch (error) {
      await group.stop();
      throw error;
    }
    return group;
  }

  /**
   * Waits until every sentinel sees the master with all running replicas linked and every other
   * sentinel: only then can a failover be agreed on.
   */
  async waitSettled(timeoutMs = 30_000): Promise<void> {
    const expectedReplicas = [...this.servers.values()].filter((s) => s.running).length - 1;
    await waitFor(
      async () => {
        for (const [port, sentinel] of this.sentinels) {
          if (!sentinel.running) continue;
          const info = fields(await this.cli(port, ['SENTINEL', 'MASTER', this.masterName]));
          if (info.get('flags') !== 'master') return false;
          if (Number(info.get('num-slaves')) < expectedReplicas) return false;
          if (Number(info.get('num-other-sentinels')) < this.sentinels.size - 1) return false;
        }
        const master = await this.masterPort();
        const replication = await this.cli(master, ['INFO', 'replication']);
        return (
          replication.includes('role:master') && (replication.match(/state=online/g)?.length ?? 0) >= expectedReplicas
        );
      },
      { timeoutMs, intervalMs: 250, what: 'the Sentinel group to settle' },
    );
  }

  /** The master's port as the first running sentinel sees it. */
  async masterPort(): Promise<number> {
    const port = [...this.sentinels].find(([, s]) => s.running)?.[0];
    if (port === undefined) throw new Error('no sentinel running');
    const [, masterPort] = (await this.cli(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName]))
      .trim()
      .split('\n');
    return Number(masterPort);
  }

  /** SIGKILLs the current master; returns its port. */
  async killMaster(): Promise<number> {
    const port = await this.masterPort();
    await this.servers.get(port)?.kill();
    return port;
  }

  /** Asks a sentinel for a failover (the master is demoted to a replica, nothing killed). */
  async failover(): Promise<void> {
    const port = [...this.sentinels].find(([, s]) => s.running)?.[0];
    if (port === undefined) throw new Error('no sentinel running');
    await this.cli(port, ['SENTINEL', 'FAILOVER', this.masterName]);
  }

  /** Waits until the sentinels name a master other than `old`; returns its port. */
  async waitNewMaster(old: number, timeoutMs = 30_000): Promise<number> {
    return waitFor(
      async () => {
        const port = await this.masterPort();
        if (port === old) return 0;
        const role = await this.cli(port, ['ROLE']);
        return role.startsWith('master') ? port : 0;
      },
      { timeoutMs, intervalMs: 250, what: 'a new master' },
    );
  }

  /** Runs a redis-cli command against one process; returns its output. */
  async cli(port: number, args: string[]): Promise<string> {
    const password = this.sentinels.has(port) ? this.passwords.sentinel : this.passwords.data;
    const auth = password ? ['-a', password, '--no-auth-warning'] : [];
    const { stdout } = await run('redis-cli', [...auth, '-h', '127.0.0.1', '-p', String(port), ...args], {
      timeout: 5000,
    });
    return stdout;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels.values()].map((s) => s.stop()));
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** redis-cli prints a map as alternating lines of key and value. */
function fields(output: string): Map<string, string> {
  const lines = output.trim().split('\n');
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) out.set(lines[i] ?? '', lines[i + 1] ?? '');
  return out;
}
