/**
 * The ownership audit: one JSON line per round edge, appended synchronously (so a SIGKILLed
 * replica's last round is still visible as a `start` with no `end`):
 *   {"t":"start","shard":3,"replica":"r1","key":"ns/name","at":1764030000123}
 *   {"t":"end","shard":3,"replica":"r1","key":"ns/name","at":1764030000145}
 * `at` is ms since the epoch. Tests and the fleet's fault checks read the files of every replica
 * and check that no two replicas had a round of one shard open at the same time.
 */
import { appendFileSync, closeSync, openSync } from 'node:fs';

export interface AuditRecord {
  t: 'start' | 'end';
  shard: number;
  replica: string;
  key: string;
  at: number;
}

export class OwnershipAudit {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly replica: string,
  ) {
    this.fd = openSync(path, 'a');
  }

  record(t: AuditRecord['t'], shard: number, key: string): void {
    if (this.fd === undefined) return;
    const line: AuditRecord = { t, shard, replica: this.replica, key, at: Date.now() };
    appendFileSync(this.fd, `${JSON.stringify(line)}\n`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Parses an audit file's text (ignores a torn last line). */
export function parseAudit(text: string): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as AuditRecord);
    } catch {
      // a line cut by a kill
    }
  }
  return records;
}
