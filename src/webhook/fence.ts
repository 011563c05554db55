/**
 * The fence: refuses a write made for a shard under an epoch older than the shard lease's.
 *
 * A replica stamps what it writes for a shard with the epoch of the shard lease it holds (the
 * lease's `leaseTransitions`, bumped by every change of holder): `status.shardEpoch` on a
 * Workflow status write, the label `flotilla.io/shard-epoch` on a Pod it creates, and the same
 * label with `flotilla.io/parent-shard` on a child Workflow it launches (the child hashes to a
 * shard of its own, so the shard the epoch belongs to is the parent's). A replica that
 * lost the shard while frozen between its lease check and its request (SIGSTOP, a long GC, a slow
 * network) carries the old epoch; the new owner took the lease with a newer one before it started,
 * so comparing the two refuses exactly the late writes.
 *
 * - {@link fenceDecision}: pure, from the review and the lease's current epoch;
 * - {@link LeaseEpochs}: the lease's epoch as the API server has it *after* the request arrived
 *   (a read, not a cache: a watch could lag the takeover it must see). Checks of one shard that
 *   arrive while a read is in flight share the next read, so a burst costs two reads, not one each.
 *
 * Unstamped writes (a replica on static shards, a user's own write) and shards without a lease
 * are let through: the fence adds a check, it never takes a writer's right away.
 */
import type { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { epochOf } from '../../shard-manager/leases/lease-state.js';
import { shardLeaseName } from '../../shard-manager/leases/names.js';
import type { AdmissionRequest, AdmissionResponse } from './review.js';

import { FENCE_PATH } from './manifests.js';

export { FENCE_PATH };
/** The Pod and child Workflow label carrying the creator's epoch (same key as `Labels.shardEpoch`). */
export const SHARD_EPOCH_LABEL = 'flotilla.io/shard-epoch';
/** On a child Workflow: the parent's shard, the one its epoch is of (same key as `Labels.parentShard`). */
export const PARENT_SHARD_LABEL = 'flotilla.io/parent-shard';
const SHARD_LABEL = 'flotilla.io/shard';

export type FenceResult = 'allowed' | 'unstamped' | 'denied';

/** What a review is about, for the fence: the shard and the epoch the write carries. */
export interface FencedWrite {
  shard: string;
  epoch: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The shard and epoch a write carries: a Workflow status write (`workflows/status`, epoch in
 * `status.shardEpoch`, shard in its label), a Pod create (both in its labels) or a child Workflow
 * create (the parent's shard and the epoch in its labels); `undefined` for anything unstamped.
 */
export function fencedWrite(req: AdmissionRequest): FencedWrite | undefined {
  const object = req.object;
  if (!isRecord(object) || !isRecord(object['metadata'])) return undefined;
  const labels = isRecord(object['metadata']['labels']) ? object['metadata']['labels'] : {};
  const epochLabel = labels[SHARD_EPOCH_LABEL];
  const labelledEpoch = typeof epochLabel === 'string' && /^\d+$/.test(epochLabel) ? Number(epochLabel) : undefined;
  let shard: unknown;
  let epoch: unknown;
  if (req.resource === 'workflows' && req.subResource === 'status') {
    shard = labels[SHARD_LABEL];
    epoch = isRecord(object['status']) ? object['status']['shardEpoch'] : undefined;
  } else if (req.resource === 'pods' && req.subResource === '') {
    shard = labels[SHARD_LABEL];
    epoch = labelledEpoch;
  } else if (req.resource === 'workflows' && req.subResource === '' && req.operation === 'CREATE') {
    shard = labels[PARENT_SHARD_LABEL];
    epoch = labelledEpoch;
  }
  if (typeof shard !== 'string' || !/^\d+$/.test(shard)) return undefined;
  return typeof epoch === 'number' && Number.isInteger(epoch) && epoch >= 0 ? { shard, epoch } : undefined;
}

/**
 * Allows the write unless it carries an epoch older than `current` (the shard lease's epoch;
 * `undefined`: no lease). A denial is a 409 Conflict, as a stale resourceVersion is: the writer
 * re-reads and finds it no longer holds the shard.
 */
export function fenceDecision(
  req: AdmissionRequest,
  write: FencedWrite | undefined,
  current: number | undefined,
): { response: AdmissionResponse; result: FenceResult } {
  if (write === undefined || current === undefined)
    return { response: { uid: req.uid, allowed: true }, result: 'unstamped' };
  if (write.epoch >= current) return { response: { uid: req.uid, allowed: true }, result: 'allowed' };
  const message =
    `stale shard epoch: the write carries epoch ${write.epoch} of shard ${write.shard}, whose lease ` +
    `${shardLeaseName(write.shard)} is at epoch ${current}; the writer no longer holds the shard`;
  return {
    response: { uid: req.uid, allowed: false, status: { code: 409, reason: 'Conflict', message } },
    result: 'denied',
  };
}

/** The current epoch of each shard lease, read from the API server (reads of one shard coalesced). */
export class LeaseEpochs {
  private readonly running = new Map<string, Promise<number | undefined>>();
  /** The read that starts when the running one ends, shared by every check that arrived meanwhile. */
  private readonly queued = new Map<string, Promise<number | undefined>>();
  /** Lease reads made (for the cost measurement). */
  reads = 0;

  constructor(private readonly leases: Pick<LeaseClient, 'get'>) {}

  /**
   * The epoch of `shard`'s lease as of a read that started after this call: a read already in
   * flight may predate a takeover this check must see, so it is never joined, only the next one.
   * `undefined` when the shard has no lease.
   */
  epochOf(shard: string): Promise<number | undefined> {
    const queued = this.queued.get(shard);
    if (queued) return queued;
    const running = this.running.get(shard);
    if (!running) return this.read(shard);
    const next = running
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(shard);
        return this.read(shard);
      });
    this.queued.set(shard, next);
    return next;
  }

  private read(shard: string): Promise<number | undefined> {
    this.reads += 1;
    const read = this.leases
      .get(shardLeaseName(shard))
      .then((lease) => (lease === undefined ? undefined : epochOf(lease)))
      .finally(() => {
        if (this.running.get(shard) === read) this.running.delete(shard);
      });
    this.running.set(shard, read);
    return read;
  }
}
