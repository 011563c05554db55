/**
 * The event store contract behind the EventSink service, the terminal-phase rule shared by every
 * store, and the in-memory store (optionally persisted to a JSON-lines file).
 *
 * Guarantees every store gives:
 * - `record` is idempotent by event id: a known id returns `duplicate` with its first cursor.
 * - An event whose entity (the workflow, the node, or the task attempt) already recorded a
 *   terminal phase returns `dropped` and is not stored (as Flyte's admin rejects late events).
 * - Cursors increase with every stored event, across all workflows; `list` returns one workflow's
 *   events in cursor order; `watch` yields every stored event after a starting point.
 */
import { EventEmitter, on } from 'node:events';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { ExecutionEvent } from '../../engine/events.js';
import { EventSinkError } from '../errors.js';

export type RecordOutcome = 'stored' | 'duplicate' | 'dropped';

export interface RecordResult {
  readonly id: string;
  readonly outcome: RecordOutcome;
  /** The event's cursor when stored now or before; absent when dropped. */
  readonly cursor?: string;
}

export interface StoredEvent {
  readonly cursor: string;
  readonly event: ExecutionEvent;
}

export interface WorkflowKey {
  readonly namespace: string;
  readonly name: string;
}

export interface EventPage {
  readonly events: StoredEvent[];
  /** Cursor to pass as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

/** Where a watch starts: every stored event, only new ones, or those after a cursor. */
export type WatchFrom = 'beginning' | 'now' | { readonly after: string };

export interface EventStore {
  record(event: ExecutionEvent): Promise<RecordResult>;
  list(workflow: WorkflowKey, page: { readonly pageSize: number; readonly after?: string }): Promise<EventPage>;
  /** Yields stored events after `from` until `signal` aborts (then returns quietly). */
  watch(from: WatchFrom, signal: AbortSignal): AsyncIterable<StoredEvent>;
  /** Late events dropped since the store was created (Redis: since the data was created). */
  droppedCount(): Promise<number>;
  close(): Promise<void>;
}

/** Phases after which a workflow, node or task attempt accepts no more events. */
export const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Aborted', 'TimedOut', 'Skipped']);

/** The entity an event moves: its terminal marker key. */
export function entityKey(event: ExecutionEvent): string {
  const uid = event.workflow.uid || `${event.workflow.namespace}/${event.workflow.name}`;
  switch (event.scope) {
    case 'workflow':
      return `${uid}/wf`;
    case 'node':
      return `${uid}/node/${event.nodeId ?? ''}`;
    case 'task':
      return `${uid}/task/${event.nodeId ?? ''}/${event.attempt ?? 0}`;
  }
}

export function workflowKeyOf(event: ExecutionEvent): string {
  return `${event.workflow.namespace}/${event.workflow.name}`;
}

export interface MemoryEventStoreOptions {
  /** A JSON-lines file: stored events are appended and replayed on open. @defaultValue none */
  readonly file?: string;
}

const CURSOR = /^0-(\d+)$/;

/** An in-process store (tests, `--store memory`, `--store file:PATH`). */
export class MemoryEventStore implements EventStore {
  private readonly all: StoredEvent[] = [];
  private readonly byWorkflow = new Map<string, StoredEvent[]>();
  private readonly ids = new Map<string, string>();
  private readonly terminal = new Set<string>();
  private readonly emitter = new EventEmitter();
  private dropped = 0;

  constructor(private readonly options: MemoryEventStoreOptions = {}) {
    this.emitter.setMaxListeners(0);
    if (options.file && existsSync(options.file)) {
      for (const line of readFileSync(options.file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.apply(JSON.parse(line) as ExecutionEvent);
      }
    }
  }

  private apply(event: ExecutionEvent): StoredEvent {
    const stored: StoredEvent = { cursor: `0-${this.all.length + 1}`, event };
    this.all.push(stored);
    const key = workflowKeyOf(event);
    const list = this.byWorkflow.get(key) ?? [];
    list.push(stored);
    this.byWorkflow.set(key, list);
    this.ids.set(event.id, stored.cursor);
    if (TERMINAL_PHASES.has(event.phase)) this.terminal.add(entityKey(event));
    return stored;
  }

  async record(event: ExecutionEvent): Promise<RecordResult> {
    const prior = this.ids.get(event.id);
    if (prior !== undefined) return { id: event.id, outcome: 'duplicate', cursor: prior };
    if (this.terminal.has(entityKey(event))) {
      this.dropped += 1;
      return { id: event.id, outcome: 'dropped' };
    }
    if (this.options.file) appendFileSync(this.options.file, `${JSON.stringify(event)}\n`);
    const stored = this.apply(event);
    this.emitter.emit('stored', stored);
    return { id: event.id, outcome: 'stored', cursor: stored.cursor };
  }

  private position(cursor: string): number {
    const match = CURSOR.exec(cursor);
    if (!match) throw new EventSinkError('InvalidCursor', `not a cursor of this store: ${cursor}`);
    return Number(match[1]);
  }

  async list(workflow: WorkflowKey, page: { pageSize: number; after?: string }): Promise<EventPage> {
    const events = this.byWorkflow.get(`${workflow.namespace}/${workflow.name}`) ?? [];
    const after = page.after ? this.position(page.after) : 0;
    const rest = events.filter((e) => this.position(e.cursor) > after);
    const slice = rest.slice(0, page.pageSize);
    const last = slice[slice.length - 1];
    return rest.length > page.pageSize && last ? { events: slice, next: last.cursor } : { events: slice };
  }

  async *watch(from: WatchFrom, signal: AbortSignal): AsyncIterable<StoredEvent> {
    const start = from === 'beginning' ? 0 : from === 'now' ? this.all.length : this.position(from.after);
    // Subscribe before replaying so nothing stored meanwhile is missed.
    const live = on(this.emitter, 'stored', { signal });
    let sent = start;
    for (const stored of this.all.slice(start)) {
      yield stored;
      sent = this.position(stored.cursor);
    }
    try {
      for await (const [stored] of live) {
        const event = stored as StoredEvent;
        if (this.position(event.cursor) <= sent) continue;
        sent = this.position(event.cursor);
        yield event;
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  async droppedCount(): Promise<number> {
    return this.dropped;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
