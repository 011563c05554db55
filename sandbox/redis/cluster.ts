/**
 * A real Redis Cluster for tests and `flotilla sandbox --redis-mode cluster`: `masters` masters with
 * one replica each (3 + 3 by default) on free loopback ports, made with `redis-cli --cluster
 * create`, each node in its own directory of one folder (its cluster-config-file there). `stop()`
 * kills every node and removes the folder; the nodes are also killed if the starting process exits.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePorts, RedisProcess } from './process.js';
import { waitFor } from '../wait.js';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Masters (each gets one replica). @defaultValue 3 */
  masters?: number;
  /** Extra redis-server arguments for every node. @defaultValue none */
  extraArgs?: string[];
  /** Password of the default user on every node (`requirepass`, `masterauth`). @defaultValue none */
  password?: string;
  /**
   * TLS only: every node's port, the cluster bus and replication speak TLS with this certificate
   * (clients are not asked for one). @defaultValue none (plain TCP)
   */
  tls?: ClusterTls;
  /** Folder of the nodes' directories, emptied first and removed by `stop()`. @defaultValue a new temporary folder */
  dir?: string;
  /** Each node logs to `<logDir>/redis-<port>.log`. @defaultValue `redis.log` in the node's directory */
  logDir?: string;
  /** Nodes in their own process groups (RedisProcessOptions.detached in process.ts). @defaultValue false */
  detached?: boolean;
}

/** A node's server certificate, the client certificate it shows on the bus and to its master, the CA. */
export interface ClusterTls {
  certFile: string;
  keyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  caFile: string;
}

export interface ClusterNodeInfo {
  port: number;
  role: 'master' | 'replica';
}

export class RedisCluster {
  private constructor(
    readonly dir: string,
    readonly nodes: ReadonlyMap<number, RedisProcess>,
    private readonly password?: string,
    private readonly tls?: ClusterTls,
  ) {}

  /** `-a <password>` for redis-cli when the nodes have one. */
  private get auth(): string[] {
    return [
      ...(this.password ? ['-a', this.password, '--no-auth-warning'] : []),
      ...(this.tls ? ['--tls', '--cacert', this.tls.caFile] : []),
    ];
  }

  /** Ports of every node. */
  get ports(): number[] {
    return [...this.nodes.keys()];
  }

  /** PIDs of the running nodes. */
  get pids(): number[] {
    return [...this.nodes.values()].map((n) => n.pid).filter((p): p is number => p !== null);
  }

  /** `redis+cluster://` URL with every node as a seed. */
  get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}+cluster://${this.ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
  }

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const count = (options.masters ?? 3) * 2;
    const ports = await freePorts(count, 10_000);
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'flotilla-redis-cluster-'));
    if (options.dir) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    }
    if (options.logDir) mkdirSync(options.logDir, { recursive: true });
    const nodes = new Map<number, RedisProcess>();
    for (const port of ports) {
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const tls = options.tls;
      const listen = tls
        ? [
            '--port',
            '0',
            '--tls-port',
            String(port),
            '--tls-cert-file',
            tls.certFile,
            '--tls-key-file',
            tls.keyFile,
            '--tls-ca-cert-file',
            tls.caFile,
            '--tls-client-cert-file',
            tls.clientCertFile,
            '--tls-client-key-file',
            tls.clientKeyFile,
            '--tls-auth-clients',
            'no',
            '--tls-cluster',
            'yes',
            '--tls-replication',
            'yes',
          ]
        : ['--port', String(port)];
      const args = [
        ...listen,
        '--bind',
        '127.0.0.1',
        '--dir',
        nodeDir,
        '--logfile',
        options.logDir ? join(options.logDir, `redis-${port}.log`) : join(nodeDir, 'redis.log'),
        '--daemonize',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(nodeDir, 'nodes.conf'),
        '--cluster-node-timeout',
        '2000',
        // A replica may always take over, however long since it last heard its master.
        '--cluster-replica-validity-factor',
        '0',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--protected-mode',
        'yes',
        ...(options.password ? ['--requirepass', options.password, '--masterauth', options.password] : []),
        ...(options.extraArgs ?? []),
      ];
      nodes.set(
        port,
        new RedisProcess(port, 'redis-server', args, { tls: tls !== undefined, detached: options.detached ?? false }),
      );
    }
    const cluster = new RedisCluster(dir, nodes, options.password, options.tls);
    try {
      await Promise.all([...nodes.values()].map((node) => node.start()));
      await run(
        'redis-cli',
        [
          ...cluster.auth,
          '--cluster',
          'create',
          ...ports.map((p) => `127.0.0.1:${p}`),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
        { timeout: 30_000 },
      );
      await cluster.waitHealthy();
      await cluster.waitReplicasInSync(count / 2);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Waits until every running node reports `cluster_state:ok` and all 16384 slots are served. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        for (const [port, node] of this.nodes) {
          if (!node.running) continue;
          const info = await this.command(port, ['CLUSTER', 'INFO']);
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 200, what: 'the Redis cluster to be healthy' },
    );
  }

  /** Waits until `replicas` replicas are linked to their masters (a failover needs one). */
  async waitReplicasInSync(replicas: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        let linked = 0;
        for (const [port, node] of this.nodes) {
          if (!node.running) continue;
          const info = await this.command(port, ['INFO', 'replication']);
          if (info.includes('role:slave') && info.includes('master_link_status:up')) linked += 1;
        }
        return linked >= replicas;
      },
      { timeoutMs, intervalMs: 200, what: `${replicas} replicas in sync` },
    );
  }

  /** Roles of the running nodes as the cluster sees them now. */
  async roles(): Promise<ClusterNodeInfo[]> {
    const out: ClusterNodeInfo[] = [];
    for (const [port, node] of this.nodes) {
      if (!node.running) continue;
      const role = (await this.command(port, ['ROLE'])).split('\n')[0]?.trim();
      out.push({ port, role: role === 'master' ? 'master' : 'replica' });
    }
    return out;
  }

  /** The port of the master serving `slot` (asked of any running node). */
  async masterOf(slot: number): Promise<number> {
    const port = [...this.nodes].find(([, node]) => node.running)?.[0];
    if (port === undefined) throw new Error('no node running');
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      ...(this.password ? { password: this.password } : {}),
      ...(this.tls ? { tls: { ca: readFileSync(this.tls.caFile, 'utf8') } } : {}),
    });
    try {
      await client.connect();
      const slots = (await client.call('CLUSTER', 'SLOTS')) as Array<
        [number, number, [string, number, ...unknown[]], ...unknown[]]
      >;
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`slot ${slot} is not served`);
      return Number(range[2][1]);
    } finally {
      client.disconnect();
    }
  }

  /** The cluster node id of the node on `port`. */
  async nodeId(port: number): Promise<string> {
    return (await this.command(port, ['CLUSTER', 'MYID'])).trim();
  }

  /**
   * Moves `slots` slots from the master on `from` to the master on `to` with
   * `redis-cli --cluster reshard` (keys migrated while clients keep working: MOVED/ASK).
   */
  async reshard(from: number, to: number, slots: number, timeoutMs = 60_000): Promise<void> {
    const [fromId, toId] = await Promise.all([this.nodeId(from), this.nodeId(to)]);
    await run(
      'redis-cli',
      [
        ...this.auth,
        '--cluster',
        'reshard',
        `127.0.0.1:${from}`,
        '--cluster-from',
        fromId,
        '--cluster-to',
        toId,
        '--cluster-slots',
        String(slots),
        '--cluster-yes',
        '--cluster-pipeline',
        '100',
      ],
      { timeout: timeoutMs },
    );
  }

  /** SIGKILLs the node on `port`. */
  async kill(port: number): Promise<void> {
    await this.nodes.get(port)?.kill();
  }

  /** Runs a redis-cli command against one node; returns its output. */
  async command(port: number, args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', [...this.auth, '-h', '127.0.0.1', '-p', String(port), ...args], {
      timeout: 5000,
    });
    return stdout;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((node) => node.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
