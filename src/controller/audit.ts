/**
 * The ownership audit: JSON lines appended synchronously by one replica (so a SIGKILLed replica's
 * last round is still visible as a `start` with no `end`):
 *   {"t":"start","shard":3,"replica":"r1","key":"ns/name","at":1764030000123}
 *   {"t":"task","shard":3,"replica":"r1","key":"ns/name","uid":"…","node":"a","attempt":1,"plugin":"echo","at":1764030000140}
 *   {"t":"end","shard":3,"replica":"r1","key":"ns/name","at":1764030000145,"outcome":"success","provenAt":1764030000139}
 * `at` is ms since the epoch. A `task` line is a task attempt a round started and whose status
 * write, recording it as started, succeeded (written right after that write). `outcome` is what
 * the round did (`RoundOutcome`: `conflict`, `skipped` and `fenced` only for a round that wrote
 * nothing). `provenAt` is the round's last passed lease check: every write or side effect follows
 * one, so the round acted no later than that (a replica frozen mid-round ends late, proves nothing
 * new). The fleet's checks read the files of every replica with `parseReplicaAudit`
 * (`sandbox/audit-parse.ts`, the one parser) and check that no two replicas acted on one shard
 * at the same time, and that no task attempt was recorded as started twice.
 */
import { steadyNow } from '../lifecycle/index.js';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import type { StartedTask } from '../engine/driver.js';
import type { RoundOutcome } from './round.js';

/** One line of the file. */
export type AuditRecord =
  | { t: 'start'; shard: number; replica: string; key: string; at: number }
  | { t: 'end'; shard: number; replica: string; key: string; at: number; outcome?: RoundOutcome; provenAt?: number }
  | {
      t: 'task';
      shard: number;
      replica: string;
      key: string;
      uid?: string;
      node: string;
      attempt: number;
      plugin: string;
      at: number;
    };

export class OwnershipAudit {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly replica: string,
  ) {
    this.fd = openSync(path, 'a');
  }

  /** A round's start, or its end with what it did. */
  record(t: 'start' | 'end', shard: number, key: string, outcome?: RoundOutcome, provenAt?: number): void {
    const at = steadyNow();
    if (t === 'start') return this.append([{ t, shard, replica: this.replica, key, at }]);
    this.append([
      {
        t,
        shard,
        replica: this.replica,
        key,
        at,
        ...(outcome !== undefined ? { outcome } : {}),
        ...(provenAt !== undefined ? { provenAt } : {}),
      },
    ]);
  }

  /** The task attempts a round's successful status write recorded as started (one write for all). */
  recordTaskStarts(shard: number, key: string, started: readonly StartedTask[], uid?: string): void {
    const at = steadyNow();
    this.append(
      started.map((s) => ({
        t: 'task',
        shard,
        replica: this.replica,
        key,
        ...(uid !== undefined ? { uid } : {}),
        node: s.nodeId,
        attempt: s.attempt,
        plugin: s.plugin,
        at,
      })),
    );
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private append(lines: readonly AuditRecord[]): void {
    if (this.fd === undefined || lines.length === 0) return;
    appendFileSync(this.fd, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
  }
}
