/** What a result was measured on: the machine, the runtimes and the library versions. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, type as osType, release } from 'node:os';
import { join } from 'node:path';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  /** 1, 5 and 15 minute load averages when the run started (other work on the machine). */
  loadAverage: number[];
  os: string;
  node: string;
  redis: string;
  /** Versions of the packages that shape the figures, as installed. */
  packages: Record<string, string>;
  /** The commit measured (with `-dirty` when the tree had changes). */
  commit: string;
}

const PACKAGES = ['bullmq', 'ioredis', '@kubernetes/client-node', 'typescript', 'tsx'];

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function packageVersion(root: string, name: string): string {
  try {
    const parsed = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof parsed.version === 'string' ? parsed.version : 'unknown';
  } catch {
    return 'not installed';
  }
}

export function machineInfo(root: string = process.cwd()): MachineInfo {
  const cpuList = cpus();
  const redisLine = run('redis-server', ['--version']);
  const redis = /v=(\S+)/.exec(redisLine)?.[1] ?? redisLine;
  const commit = run('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  const dirty = run('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no']);
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    os: `${osType()} ${release()}`,
    node: process.version,
    redis,
    packages: Object.fromEntries(PACKAGES.map((name) => [name, packageVersion(root, name)])),
    commit: commit === 'unknown' || dirty === '' || dirty === 'unknown' ? commit : `${commit}-dirty`,
  };
}
