/**
 * The fencing tokens of this replica: per shard, the epoch of the shard lease (its
 * `leaseTransitions`) the replica held when it last started the shard. Writes a round makes for a
 * shard carry it (`status.shardEpoch`, the Pod label `flotilla.io/shard-epoch`), so the admission
 * webhook's fence can refuse a write whose epoch is older than the lease's (docs/shards.md).
 *
 * An epoch is kept after its shard stops here, on purpose: a write of a round that outlived its
 * shard (a replica frozen between its lease check and its request) must still carry the old
 * epoch, so that the fence refuses it, rather than no epoch, which the fence lets through.
 */
export class ShardEpochs {
  private readonly epochs = new Map<number, number>();

  /** Records the epoch `shard` was started with here (static shards have none). */
  set(shard: number, epoch: number): void {
    this.epochs.set(shard, epoch);
  }

  /** The epoch `shard` was last started with here; `undefined` when it never ran under a lease. */
  get(shard: number): number | undefined {
    return this.epochs.get(shard);
  }
}
