/**
 * The Redis event store, laid out for Redis Cluster: events are split into `partitions` by their
 * workflow (crc32 of `namespace/name`). Each partition's keys share one hash tag, so the Lua script
 * that records an event (record.lua: dedup check, terminal check, both stream appends) touches one
 * slot:
 *
 * - `{<prefix>}:…` with one partition (the default), `{<prefix>:p<k>}:…` with several;
 * - `…:all` the partition's stream (Watch), `…:wf:<namespace>/<name>` a workflow's stream (List),
 *   `…:id:<event id>` the dedup key, `…:terminal:<entity>` terminal markers, `…:dropped` a counter.
 *
 * With one partition the store keeps the whole contract of store.ts (cursors increase across all
 * workflows). With several (Redis Cluster, to spread the events over the masters) cursors are the
 * partition streams' ids: they increase within a workflow (List pages are exact) and Watch merges
 * the partitions, tracking each one's position, so a running watch misses nothing. A watch resumed
 * from a cursor starts every partition after that cursor's time: exact when the masters' clocks
 * agree, but an event stored in another partition in the same millisecond, or on a master whose
 * clock runs behind, can be skipped. An event id is de-duplicated within its workflow's partition
 * (ids are unique per event; a resent event has the same workflow). The partition count must be
 * the same for every sink over the same data; changing it re-maps workflows.
 */
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { ExecutionEvent } from '../../engine/events.js';
import { createRedisClient, parseRedisConfig, type RedisClient, type RedisConfig } from '../../redis/index.js';
import { EventSinkError } from '../errors.js';
import {
  TERMINAL_PHASES,
  entityKey,
  workflowKeyOf,
  type EventPage,
  type EventStore,
  type RecordResult,
  type StoredEvent,
  type WatchFrom,
  type WorkflowKey,
} from './store.js';

const RECORD_SCRIPT = readFileSync(new URL('./record.lua', import.meta.url), 'utf8');
const CURSOR = /^\d+-\d+$/;

export interface RedisEventStoreOptions {
  /** Redis URL in any form of src/redis/config.ts. Ignored when `redis` is given. */
  readonly url: string;
  /** The parsed connection (secrets and CA merged in). @defaultValue parsed from `url` */
  readonly redis?: RedisConfig;
  /** Key prefix inside the hash tags (a trailing `:` is ignored). @defaultValue 'flotilla:events' */
  readonly prefix?: string;
  /**
   * Partitions of the events, each one hash slot (one Cluster master). More than 1 spreads the
   * events over a cluster's masters; see the module header for what Watch cursors then mean.
   * @defaultValue 1
   */
  readonly partitions?: number;
  /** How long event ids and terminal markers are remembered. @defaultValue 7 days */
  readonly dedupTtlSeconds?: number;
  /** Approximate length each partition's (Watch) stream is trimmed to. @defaultValue 1_000_000 */
  readonly globalMaxLen?: number;
  /** How long one blocking read of a watcher waits before checking for cancellation. @defaultValue 1000 */
  readonly watchBlockMs?: number;
  /** With several partitions: how long a watcher sleeps after a poll found nothing. @defaultValue 100 */
  readonly watchPollMs?: number;
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

/** Compares two stream ids (`ms-seq`) numerically. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

export class RedisEventStore implements EventStore {
  private readonly redis: RedisClient;
  private readonly config: RedisConfig;
  private readonly prefix: string;
  private readonly partitions: number;
  private readonly watchers = new Set<RedisClient>();

  constructor(private readonly options: RedisEventStoreOptions) {
    this.prefix = (options.prefix ?? 'flotilla:events').replace(/:$/, '');
    this.partitions = options.partitions ?? 1;
    if (!Number.isInteger(this.partitions) || this.partitions < 1)
      throw new EventSinkError('InvalidConfig', `partitions must be a positive integer, not ${this.partitions}`);
    this.config = options.redis ?? parseRedisConfig(options.url);
    // Commands fail fast while Redis is down (the service answers UNAVAILABLE; publishers retry).
    this.redis = createRedisClient(this.config, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('flotillaRecordEvent', { numberOfKeys: 5, lua: RECORD_SCRIPT });
  }

  /** Resolves once connected (or rejects after `timeoutMs`). */
  async ready(timeoutMs = 10_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new EventSinkError('StoreUnavailable', `redis not ready after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The hash tag of partition `index`: all its keys hash to one slot. */
  tag(index: number): string {
    return this.partitions === 1 ? `{${this.prefix}}` : `{${this.prefix}:p${index}}`;
  }

  /** The partition of a workflow (`namespace/name`). */
  partitionOf(workflow: string): number {
    return this.partitions === 1 ? 0 : crc32(workflow) % this.partitions;
  }

  /** The Watch stream of partition `index`. */
  streamKey(index: number): string {
    return `${this.tag(index)}:all`;
  }

  private workflowStream(workflow: string): string {
    return `${this.tag(this.partitionOf(workflow))}:wf:${workflow}`;
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
    const workflow = workflowKeyOf(event);
    const tag = this.tag(this.partitionOf(workflow));
    const keys = [
      `${tag}:id:${event.id}`,
      `${tag}:terminal:${entityKey(event)}`,
      `${tag}:wf:${workflow}`,
      `${tag}:all`,
      `${tag}:dropped`,
    ];
    const args = [
      JSON.stringify(event),
      TERMINAL_PHASES.has(event.phase) ? '1' : '0',
      String(this.options.dedupTtlSeconds ?? 7 * 24 * 3600),
      String(this.options.globalMaxLen ?? 1_000_000),
    ];
    const reply = await this.call('record', async () => {
      const run = (this.redis as unknown as { flotillaRecordEvent(...a: string[]): Promise<unknown> })
        .flotillaRecordEvent;
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
    const key = this.workflowStream(`${workflow.namespace}/${workflow.name}`);
    const entries = (await this.call('list', () =>
      this.redis.xrange(key, start, '+', 'COUNT', page.pageSize + 1),
    )) as StreamEntry[];
    const events = entries.slice(0, page.pageSize).map(parseEntry);
    const last = events[events.length - 1];
    return entries.length > page.pageSize && last ? { events, next: last.cursor } : { events };
  }

  private async lastCursor(index: number): Promise<string> {
    const entries = (await this.call('watch', () =>
      this.redis.xrevrange(this.streamKey(index), '+', '-', 'COUNT', 1),
    )) as StreamEntry[];
    return entries[0]?.[0] ?? '0-0';
  }

  async *watch(from: WatchFrom, signal: AbortSignal): AsyncIterable<StoredEvent> {
    const positions: string[] = [];
    for (let i = 0; i < this.partitions; i++) {
      positions.push(
        from === 'beginning' ? '0-0' : from === 'now' ? await this.lastCursor(i) : checkCursor(from.after),
      );
    }
    // Its own connection: a blocking read holds it; reads retry through a failover.
    const reader = createRedisClient(this.config, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    reader.on('error', () => undefined);
    this.watchers.add(reader);
    const onAbort = () => reader.disconnect();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        let batch: Array<StoredEvent & { partition: number }>;
        try {
          batch = await this.readOnce(reader, positions);
        } catch (cause) {
          if (signal.aborted) return;
          throw new EventSinkError('StoreUnavailable', 'redis watch read failed', { cause });
        }
        batch.sort((a, b) => compareIds(a.cursor, b.cursor));
        for (const stored of batch) {
          positions[stored.partition] = stored.cursor;
          yield { cursor: stored.cursor, event: stored.event };
        }
        if (batch.length === 0 && this.partitions > 1) await sleep(this.options.watchPollMs ?? 100, signal);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.watchers.delete(reader);
      reader.disconnect();
    }
  }

  /** One read of every partition after its position: blocking with one partition, a poll with several. */
  private async readOnce(
    reader: RedisClient,
    positions: string[],
  ): Promise<Array<StoredEvent & { partition: number }>> {
    const out: Array<StoredEvent & { partition: number }> = [];
    if (this.partitions === 1) {
      const reply = (await reader.xread(
        'COUNT',
        100,
        'BLOCK',
        this.options.watchBlockMs ?? 1000,
        'STREAMS',
        this.streamKey(0),
        positions[0] ?? '0-0',
      )) as [string, StreamEntry[]][] | null;
      for (const [, entries] of reply ?? [])
        for (const entry of entries) out.push({ ...parseEntry(entry), partition: 0 });
      return out;
    }
    // One stream per command: the partitions are in different slots (CROSSSLOT otherwise).
    const replies = await Promise.all(
      positions.map(
        (after, index) =>
          reader.xread('COUNT', 100, 'STREAMS', this.streamKey(index), after) as Promise<
            [string, StreamEntry[]][] | null
          >,
      ),
    );
    for (const [index, reply] of replies.entries()) {
      for (const [, entries] of reply ?? [])
        for (const entry of entries) out.push({ ...parseEntry(entry), partition: index });
    }
    return out;
  }

  async droppedCount(): Promise<number> {
    let total = 0;
    for (let i = 0; i < this.partitions; i++)
      total += Number((await this.call('dropped', () => this.redis.get(`${this.tag(i)}:dropped`))) ?? 0);
    return total;
  }

  async close(): Promise<void> {
    for (const reader of this.watchers) reader.disconnect();
    this.watchers.clear();
    this.redis.disconnect();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
