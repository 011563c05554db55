/**
 * Persistence under `dataDir`: `snapshot.json` (resourceVersion counter + every object) and an
 * append-only `log.jsonl` of writes since. At start the log is replayed over the snapshot (a torn
 * last line after a SIGKILL is ignored) and compacted into a fresh snapshot; at stop the log is
 * flushed and compacted again. The CA and token live beside them so a restarted server keeps
 * its identity.
 */
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { join } from 'node:path';
import { ApiServerError } from './errors.js';
import type { PersistOp } from './store.js';
import { objectKey } from './store.js';
import type { KubeObject } from './types.js';
import { isObject } from './types.js';

export interface PersistedState {
  rv: number;
  objects: { resourceKey: string; object: KubeObject }[];
}

interface Snapshot {
  rv: number;
  objects: { resourceKey: string; object: KubeObject }[];
}

function writeAtomic(path: string, text: string, mode?: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, mode === undefined ? undefined : { mode });
  renameSync(tmp, path);
}

export class Persistence {
  private log: WriteStream | undefined;
  private readonly snapshotPath: string;
  private readonly logPath: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.snapshotPath = join(dir, 'snapshot.json');
    this.logPath = join(dir, 'log.jsonl');
  }

  /** A small text file beside the data (CA, token), or undefined. */
  readFile(name: string): string | undefined {
    const p = join(this.dir, name);
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  }

  writeFile(name: string, text: string): void {
    writeAtomic(join(this.dir, name), text, 0o600);
  }

  /** Snapshot + log replay; then compacts and opens the log for appending. */
  load(): PersistedState {
    let rv = 0;
    const objects = new Map<string, { resourceKey: string; object: KubeObject }>();
    if (existsSync(this.snapshotPath)) {
      let snap: Snapshot;
      try {
        snap = JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as Snapshot;
      } catch (cause) {
        throw new ApiServerError('PersistenceCorrupt', `cannot read ${this.snapshotPath}`, { cause });
      }
      rv = snap.rv;
      for (const o of snap.objects)
        objects.set(`${o.resourceKey}|${objectKey(o.object.metadata.namespace, o.object.metadata.name ?? '')}`, o);
    }
    if (existsSync(this.logPath)) {
      const lines = readFileSync(this.logPath, 'utf8').split('\n');
      for (const line of lines) {
        if (line.trim() === '') continue;
        let op: PersistOp;
        try {
          op = JSON.parse(line) as PersistOp;
        } catch {
          continue; // torn line (killed mid-write)
        }
        if (!isObject(op) || typeof op.rv !== 'number') continue;
        rv = Math.max(rv, op.rv);
        if (op.op === 'put')
          objects.set(`${op.resourceKey}|${objectKey(op.object.metadata.namespace, op.object.metadata.name ?? '')}`, {
            resourceKey: op.resourceKey,
            object: op.object,
          });
        else objects.delete(`${op.resourceKey}|${objectKey(op.namespace || undefined, op.name)}`);
      }
    }
    const state = { rv, objects: [...objects.values()] };
    this.compact(state);
    this.log = createWriteStream(this.logPath, { flags: 'a' });
    return state;
  }

  private compact(state: PersistedState): void {
    writeAtomic(this.snapshotPath, JSON.stringify(state));
    writeFileSync(this.logPath, '');
  }

  append(op: PersistOp): void {
    this.log?.write(`${JSON.stringify(op)}\n`);
  }

  /** Flushes the log and compacts the given state into a snapshot. */
  async close(state: PersistedState): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (log) await new Promise<void>((resolve) => log.end(resolve));
    this.compact(state);
  }
}
