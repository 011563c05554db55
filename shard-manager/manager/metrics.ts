/**
 * The metrics the shard manager reports, as the shapes it calls. The process hands in its
 * prom-client `Metrics` (src/observability), which has these members; the manager itself depends
 * on no observability code (the shard manager imports only src/kube, src/api and its own files).
 */
export interface ManagerMetrics {
  /** `flotilla_assignment_computations_total` */
  readonly assignmentComputations: { inc(): void };
  /** `flotilla_shards_held{replica}` */
  readonly shardsHeld: { reset(): void; set(labels: { replica: string }, value: number): void };
  /** `flotilla_shard_failovers_total` */
  readonly failoversTotal: { inc(): void };
  /** `flotilla_shard_handovers_total{reason}` */
  readonly handoversTotal: { inc(labels: { reason: string }): void };
  /** `flotilla_shard_failover_duration_seconds` */
  readonly failoverDuration: { observe(seconds: number): void };
  /** `flotilla_shard_handover_duration_seconds` */
  readonly handoverDuration: { observe(seconds: number): void };
  /** `flotilla_shards_without_owner` (leader only) */
  readonly shardsWithoutOwner: { set(value: number): void; reset(): void };
  /** `leader_election_master_status{name}`: 1 leading, 0 standing by */
  readonly leaderStatus: { set(labels: { name: string }, value: number): void };
}
