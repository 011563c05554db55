/**
 * Watch fan-out: watchers register per resource with a namespace and selector; each store event
 * is matched once per watcher and serialised once per (type, apiVersion) for all of them. A
 * selector that stops (or starts) matching turns MODIFIED into DELETED (or ADDED), as the real
 * watch cache does.
 */
import type { Matcher } from './selectors.js';
import type { EventType, StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

export interface WatchSink {
  readonly resourceKey: string;
  /** Only objects in this namespace (undefined: all). */
  readonly namespace: string | undefined;
  readonly matcher: Matcher | undefined;
  /** Delivers one event (already filtered) to the client. */
  deliver(event: StoreEvent, type: EventType): void;
  /** Ends the stream with an ERROR 410 Expired event. */
  expire(message: string): void;
  /** Ends the stream quietly (server stop). */
  close(): void;
}

export class WatchHub {
  private readonly sinks = new Map<string, Set<WatchSink>>();
  private total = 0;

  get size(): number {
    return this.total;
  }

  add(sink: WatchSink): void {
    let set = this.sinks.get(sink.resourceKey);
    if (!set) {
      set = new Set();
      this.sinks.set(sink.resourceKey, set);
    }
    if (!set.has(sink)) {
      set.add(sink);
      this.total++;
    }
  }

  remove(sink: WatchSink): void {
    const set = this.sinks.get(sink.resourceKey);
    if (set?.delete(sink)) this.total--;
  }

  /** The event type this sink should see for `event`, or undefined when it is filtered out. */
  static typeFor(sink: Pick<WatchSink, 'namespace' | 'matcher'>, event: StoreEvent): EventType | undefined {
    const matches = (o: KubeObject | undefined): boolean =>
      o !== undefined &&
      (sink.namespace === undefined || o.metadata.namespace === sink.namespace) &&
      (sink.matcher === undefined || sink.matcher(o));
    if (event.type !== 'MODIFIED') return matches(event.object) ? event.type : undefined;
    const now = matches(event.object);
    const before = matches(event.prev);
    if (now && before) return 'MODIFIED';
    if (now) return 'ADDED';
    if (before) return 'DELETED';
    return undefined;
  }

  dispatch(event: StoreEvent): void {
    const set = this.sinks.get(event.resourceKey);
    if (!set) return;
    for (const sink of set) {
      const type = WatchHub.typeFor(sink, event);
      if (type !== undefined) sink.deliver(event, type);
    }
  }

  /** Every open watch gets ERROR 410 and ends; returns how many. */
  expireAll(message: string): number {
    let n = 0;
    for (const set of this.sinks.values()) {
      for (const sink of [...set]) {
        sink.expire(message);
        n++;
      }
    }
    return n;
  }

  closeAll(): void {
    for (const set of this.sinks.values()) for (const sink of [...set]) sink.close();
    this.sinks.clear();
    this.total = 0;
  }
}
