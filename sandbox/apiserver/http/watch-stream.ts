/**
 * One watch over HTTP: a chunked JSON-lines stream of `{type, object}` events. Lines are taken
 * from the event's shared cache (one serialisation per event and variant, not per watcher).
 * Handles bookmarks, timeoutSeconds, Table output, fault latency/partition, 410 expiry.
 */
import type { ServerResponse } from 'node:http';
import { expired } from '../errors.js';
import type { FaultInjector } from '../faults.js';
import type { Matcher } from '../selectors.js';
import type { EventType, StoreEvent } from '../store.js';
import { toTable, type IncludeObject } from '../table.js';
import type { KubeObject, ResourceType } from '../types.js';
import { groupVersion } from '../types.js';
import type { WatchHub, WatchSink } from '../watch.js';

export interface WatchStreamOptions {
  res: ServerResponse;
  hub: WatchHub;
  faults: FaultInjector;
  rt: ResourceType;
  version: string;
  resourceKey: string;
  namespace: string | undefined;
  matcher: Matcher | undefined;
  table: { include: IncludeObject } | undefined;
  /** Emit BOOKMARK events every `bookmarkIntervalMs`. */
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  currentRv: () => number;
  timeoutSeconds: number | undefined;
}

export class HttpWatchStream implements WatchSink {
  readonly resourceKey: string;
  readonly namespace: string | undefined;
  readonly matcher: Matcher | undefined;
  private readonly apiVersion: string;
  private closed = false;
  private timers: NodeJS.Timeout[] = [];
  private lastRv = 0;
  private sentHeaders = false;
  private pendingPartition: string[] = [];

  constructor(private readonly o: WatchStreamOptions) {
    this.resourceKey = o.resourceKey;
    this.namespace = o.namespace;
    this.matcher = o.matcher;
    this.apiVersion = groupVersion(o.rt.group, o.version);
    o.res.writeHead(200, {
      'Content-Type': o.table ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    o.res.flushHeaders();
    o.res.on('close', () => this.close());
    if (o.timeoutSeconds !== undefined && o.timeoutSeconds > 0)
      this.timers.push(setTimeout(() => this.end(), o.timeoutSeconds * 1000));
    if (o.bookmarks) {
      const t = setInterval(() => this.bookmark(), o.bookmarkIntervalMs);
      t.unref();
      this.timers.push(t);
    }
  }

  start(): void {
    this.o.hub.add(this);
  }

  private presented(obj: KubeObject): KubeObject {
    return obj.apiVersion === this.apiVersion ? obj : { ...obj, apiVersion: this.apiVersion };
  }

  private line(type: string, obj: KubeObject): string {
    if (this.o.table) {
      const table = toTable({
        rt: this.o.rt,
        version: this.o.version,
        objects: [obj],
        include: this.o.table.include,
        listMeta: { resourceVersion: obj.metadata.resourceVersion ?? '' },
        noHeaders: this.sentHeaders,
      });
      this.sentHeaders = true;
      return `${JSON.stringify({ type, object: table })}\n`;
    }
    return `${JSON.stringify({ type, object: this.presented(obj) })}\n`;
  }

  /** Synthetic or replayed events written before live delivery starts. */
  sendInitial(obj: KubeObject, type: EventType = 'ADDED'): void {
    this.write(this.counted(this.line(type, obj), false));
    this.lastRv = Math.max(this.lastRv, Number(obj.metadata.resourceVersion ?? 0));
  }

  deliver(event: StoreEvent, type: EventType): void {
    if (this.closed) return;
    let text: string;
    if (this.o.table) text = this.line(type, event.object);
    else {
      const key = `${type}|${this.apiVersion}`;
      const cached = event.lines.get(key);
      if (cached !== undefined) text = cached;
      else {
        text = this.line(type, event.object);
        event.lines.set(key, text);
      }
    }
    this.lastRv = event.rv;
    this.write(this.counted(text, false));
  }

  /** A BOOKMARK carrying the current resourceVersion (`initialEventsEnd` marks the end of initial events). */
  bookmark(initialEventsEnd = false): void {
    if (this.closed) return;
    const rv = String(Math.max(this.lastRv, this.o.currentRv()));
    const metadata: Record<string, unknown> = { resourceVersion: rv };
    if (initialEventsEnd) metadata['annotations'] = { 'k8s.io/initial-events-end': 'true' };
    const object = this.o.table
      ? { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: [], rows: [] }
      : { kind: this.o.rt.kind, apiVersion: this.apiVersion, metadata };
    this.write(this.counted(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`, true));
  }

  /** Counted once here, not in write(): a partition re-writes its held lines. */
  private counted(text: string, bookmark: boolean): string {
    this.o.faults.traffic.watchLine(Buffer.byteLength(text), bookmark);
    return text;
  }

  private write(text: string): void {
    if (this.closed) return;
    const f = this.o.faults;
    if (f.partitioned) {
      if (this.pendingPartition.length === 0) {
        void f.whenOpen().then(() => {
          const lines = this.pendingPartition.splice(0);
          for (const l of lines) this.write(l);
        });
      }
      this.pendingPartition.push(text);
      return;
    }
    const delay = f.watchDelayMs;
    if (delay > 0) {
      const t = setTimeout(() => {
        this.timers = this.timers.filter((x) => x !== t);
        if (!this.closed) this.o.res.write(text);
      }, delay);
      this.timers.push(t);
      return;
    }
    this.o.res.write(text);
  }

  expire(message: string): void {
    if (this.closed) return;
    this.o.res.write(
      this.counted(`${JSON.stringify({ type: 'ERROR', object: expired(message).toStatus() })}\n`, false),
    );
    this.end();
  }

  private end(): void {
    if (this.closed) return;
    this.close();
    this.o.res.end();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.o.hub.remove(this);
    if (!this.o.res.writableEnded) this.o.res.end();
  }
}
