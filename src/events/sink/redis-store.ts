/**
 * The Redis event store: a stream per workflow (ordered, paged `List`), a global stream
 * (`Watch` from a cursor, "beginning" or "now"), a dedup key per event id and a terminal marker
 * per entity, all written by one Lua script (record.lua) so record+dedup is atomic.
 *
 * Not Redis Cluster-ready: the script touches the global stream and per-workflow keys in one call.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { ExecutionEvent } from '../../engine/events.js';
import { EventSinkError } from '../errors.js';
import { TERMINAL_PHASES, entityKey, workflowKeyOf, type EventPage, type EventStore, type RecordResult, type StoredEvent, type WatchFrom, type WorkflowKey } from './store.js';

const RECORD_SCRIPT = readFileSync(new URL('./record.lua', import.meta.url), 'utf8');
const CURSOR = /^\d+-\d+$/;

export interface RedisEventStoreOptions {
  /** redis:// URL. */
  readonly url: string;
  /** Key prefix. @defaultValue 'flotilla:events:' */
  readonly prefix?: string;
  /** How long event ids and terminal markers are remembered. @defaultValue 7 days */
  readonly dedupTtlSeconds?: number;
  /** Approximate length the global (Watch) stream is trimmed to. @defaultValue 1_000_000 */
  readonly globalMaxLen?: number;
  /** How long one blocking read of a watcher waits before checking for cancellation. @defaultValue 1000 */
  readonly watchBlockMs?: number;
}

type StreamEntry = [id: string, fields: string[]];

function parseEntry([id, fields]: StreamEntry): StoredEvent {
  const index = fields.indexOf('e');
  const json = index >= 0 ? fields[index + 1] : undefined;
  if (json === undefined) throw new EventSinkError('StoreUnavailable', `stream entry ${id} has no event`);
  return { cursor: id, event: JSON.parse(json) as ExecutionEvent };
}

function checkCursor(cursor: string): string {
  if (!CURSOR.test(cursor)) throw new EventSinkError('InvalidCursor', `not a cursor: ${cursor}`);
  return cursor;
}

export class RedisEventStore implements EventStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly watchers = new Set<Redis>();

  constructor(private readonly options: RedisEventStoreOptions) {
    this.prefix = options.prefix ?? 'flotilla:events:';
    // Commands fail fast while Redis is down (the service answers UNAVAILABLE; publishers retry).
    this.redis = new Redis(options.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('flotillaRecordEvent', { numberOfKeys: 5, lua: RECORD_SCRIPT });
  }

  /** Resolves once connected (or rejects after `timeoutMs`). */
  async ready(timeoutMs = 10_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new EventSinkError('StoreUnavailable', `redis not ready after ${timeoutMs} ms`)), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private get globalKey(): string {
    return `${this.prefix}all`;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      if (cause instanceof EventSinkError) throw cause;
      throw new EventSinkError('StoreUnavailable', `redis ${what} failed`, { cause });
    }
  }

  async record(event: ExecutionEvent): Promise<RecordResult> {
    const keys = [
      `${this.prefix}id:${event.id}`,
      `${this.prefix}terminal:${entityKey(event)}`,
      `${this.prefix}wf:${workflowKeyOf(event)}`,
      this.globalKey,
      `${this.prefix}dropped`,
    ];
    const args = [JSON.stringify(event), TERMINAL_PHASES.has(event.phase) ? '1' : '0', String(this.options.dedupTtlSeconds ?? 7 * 24 * 3600), String(this.options.globalMaxLen ?? 1_000_000)];
    const reply = await this.call('record', async () => {
      const run = (this.redis as unknown as { flotillaRecordEvent(...a: string[]): Promise<unknown> }).flotillaRecordEvent;
      return run.call(this.redis, ...keys, ...args);
    });
    if (!Array.isArray(reply) || typeof reply[0] !== 'string' || typeof reply[1] !== 'string') {
      throw new EventSinkError('StoreUnavailable', 'unexpected reply from record.lua');
    }
    const outcome = reply[0];
    if (outcome === 'stored' || outcome === 'duplicate') return { id: event.id, outcome, cursor: reply[1] };
    return { id: event.id, outcome: 'dropped' };
  }

  async list(workflow: WorkflowKey, page: { pageSize: number; after?: string }): Promise<EventPage> {
    const start = page.after ? `(${checkCursor(page.after)}` : '-';
    const entries = (await this.call('list', () => this.redis.xrange(`${this.prefix}wf:${workflow.namespace}/${workflow.name}`, start, '+', 'COUNT', page.pageSize + 1))) as StreamEntry[];
    const events = entries.slice(0, page.pageSize).map(parseEntry);
    const last = events[events.length - 1];
    return entries.length > page.pageSize && last ? { events, next: last.cursor } : { events };
  }

  private async lastCursor(): Promise<string> {
    const entries = (await this.call('watch', () => this.redis.xrevrange(this.globalKey, '+', '-', 'COUNT', 1))) as StreamEntry[];
    return entries[0]?.[0] ?? '0-0';
  }

  async *watch(from: WatchFrom, signal: AbortSignal): AsyncIterable<StoredEvent> {
    let after = from === 'beginning' ? '0-0' : from === 'now' ? await this.lastCursor() : checkCursor(from.after);
    // A blocking read needs its own connection.
    const reader = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    reader.on('error', () => undefined);
    this.watchers.add(reader);
    const onAbort = () => reader.disconnect();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        let reply: [string, StreamEntry[]][] | null;
        try {
          reply = (await reader.xread('COUNT', 100, 'BLOCK', this.options.watchBlockMs ?? 1000, 'STREAMS', this.globalKey, after)) as [string, StreamEntry[]][] | null;
        } catch (cause) {
          if (signal.aborted) return;
          throw new EventSinkError('StoreUnavailable', 'redis watch read failed', { cause });
        }
        for (const [, entries] of reply ?? []) {
          for (const entry of entries) {
            const stored = parseEntry(entry);
            after = stored.cursor;
            yield stored;
          }
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.watchers.delete(reader);
      reader.disconnect();
    }
  }

  async droppedCount(): Promise<number> {
    return Number((await this.call('dropped', () => this.redis.get(`${this.prefix}dropped`))) ?? 0);
  }

  async close(): Promise<void> {
    for (const reader of this.watchers) reader.disconnect();
    this.watchers.clear();
    this.redis.disconnect();
  }
}
