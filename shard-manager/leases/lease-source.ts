/**
 * Where the fleet's loops read leases from: a watched cache of every lease labelled
 * `flotilla.io/lease` in the fleet namespace. Reads are cheap and may lag; every decision taken
 * from them is written back resourceVersion-guarded, so a stale read costs a 409 and a retry,
 * never a wrong write.
 */
import type { LeaseFields } from './lease-state.js';

export interface LeaseSource {
  /** The current snapshot (possibly a little behind the server). */
  leases(): readonly LeaseFields[];
  /** Calls `listener` after any lease changes; returns an unsubscribe function. */
  onChange(listener: (lease: LeaseFields) => void): () => void;
}
