/** What the live view shows: plain data, so the renderer is a pure function of it. */

export interface ReplicaRow {
  name: string;
  /** Process running (pid) and member lease live. */
  process: 'up' | 'down' | 'starting';
  pid: number | null;
  live: boolean | null;
  shards: number;
  /** Rounds per second since the last sample (null before two samples). */
  roundsPerSecond: number | null;
  restarts: number;
}

export interface ShardCell {
  shard: string;
  owner: string | null;
  /** Owner and intended owner differ. */
  moving: boolean;
  workflows: number | null;
  queueDepth: number | null;
}

export interface EventLine {
  /** ISO time. */
  at: string;
  text: string;
}

export interface ViewState {
  /** Seconds since the sandbox started. */
  uptimeSeconds: number;
  /** What is not running in this build or not reachable (e.g. "controller: not in this build"). */
  notes: string[];
  replicas: ReplicaRow[];
  manager: { leader: string | null; live: boolean } | null;
  shards: ShardCell[];
  /** All workflows by phase. */
  phases: Record<string, number>;
  /** Submitted vs finished (examples + load). */
  submitted: number;
  finished: number;
  /** Load workflows finished per second (over the last ~10 s). */
  throughput: number;
  /** Sandbox events (replica died, restarted) and execution events, newest last. */
  events: EventLine[];
}
