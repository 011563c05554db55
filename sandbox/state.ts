/**
 * `<stateDir>/sandbox.json`: where every part of the running sandbox can be reached, and the PID
 * of every process it started, so scripts can talk to them or kill them. Written at start and
 * rewritten (atomically: temp file + rename) whenever a PID changes; removed on a clean stop.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SandboxProcessEntry {
  name: string;
  pid: number;
}

export interface SandboxState {
  apiServer: { url: string; kubeconfig: string };
  /**
   * The Redis the fleet runs on: its URL (`redis://`, `redis+cluster://` or `redis+sentinel://`, as
   * the replicas get it in `--redis`) and mode. `pid` is the one server's (null when the Redis was
   * given with `--redis`, and in cluster and sentinel mode); `pids` lists every Redis process the
   * sandbox started (the cluster's nodes, the sentinels and their data nodes).
   */
  redis: { url: string; mode?: 'single' | 'cluster' | 'sentinel'; pid: number | null; pids?: number[] };
  eventSink: { address: string; pid: number } | null;
  agent: { address: string; pid: number } | null;
  manager: { pid: number; metrics: string | null } | null;
  /** `pid` is null while a replica is down (chaos killed it and it has not been restarted yet). */
  replicas: { name: string; pid: number | null; metrics: string | null }[];
  /** With `--flyte`: the blob store the replicas and the kubelet's pyflyte-execute stand-in share (`file://...`). */
  blobStore?: { url: string } | null;
  /** The web console (`flotilla console`, in the sandbox's process); its action token is in `tokenFile` (0600). */
  console?: { url: string; tokenFile: string } | null;
  /** With `--flyte`: the recording FlyteAdmin (gRPC, bearer token in `tokenFile`; accepted events in `eventsFile`, JSON lines). */
  admin?: { address: string; tokenFile: string; eventsFile: string } | null;
  /** The sandbox process itself. */
  sandbox: { pid: number };
  /** ISO time. */
  startedAt: string;
}

export const STATE_FILE = 'sandbox.json';

export function statePath(stateDir: string): string {
  return join(stateDir, STATE_FILE);
}

export function writeState(stateDir: string, state: SandboxState): void {
  const path = statePath(stateDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, path);
}

export function removeState(stateDir: string): void {
  rmSync(statePath(stateDir), { force: true });
}

/** Every PID the sandbox started (for a script that wants to be sure none is left). */
export function startedPids(state: SandboxState): number[] {
  const pids = [
    ...(state.redis.pids ?? [state.redis.pid]),
    state.eventSink?.pid,
    state.agent?.pid,
    state.manager?.pid,
    ...state.replicas.map((r) => r.pid),
  ];
  return pids.filter((p): p is number => typeof p === 'number');
}
