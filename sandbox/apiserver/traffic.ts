/**
 * Traffic counters of the API server: what its clients cost it, read by the scale benchmark as
 * deltas (`GET /_flotilla/traffic`, or `faults.traffic.stats()` in-process). Plain counters, no
 * log, so they stay on at any load.
 */
import type { Socket } from 'node:net';

export interface TrafficStats {
  /** Resource requests by RBAC verb (`RequestVerb`: the router's count, as in the request log). */
  requests: Record<string, number>;
  /** Resource requests by `<verb> <plural>[/<subresource>]`, e.g. `patch workflows/status`. */
  requestsByResource: Record<string, number>;
  /** Request bodies by verb, bytes, from `Content-Length` (a chunked body counts 0). */
  requestBodyBytes: Record<string, number>;
  /** Bytes received on every TCP connection, TLS records and HTTP headers included. */
  bytesReceived: number;
  /** Bytes sent on every TCP connection, TLS records and HTTP headers included. */
  bytesSent: number;
  /** Watch events written to watch streams (ADDED/MODIFIED/DELETED/ERROR; initial ones included). */
  watchEvents: number;
  /** BOOKMARK events written. */
  watchBookmarks: number;
  /** Bytes of watch lines written (JSON, before TLS). */
  watchBytes: number;
  /** TCP connections accepted. */
  connections: number;
}

export class Traffic {
  private readonly requests = new Map<string, number>();
  private readonly byResource = new Map<string, number>();
  private readonly bodyBytes = new Map<string, number>();
  private readonly live = new Set<Socket>();
  private closedReceived = 0;
  private closedSent = 0;
  private connections = 0;
  private watchEvents = 0;
  private watchBookmarks = 0;
  private watchBytes = 0;

  /** A raw TCP socket (the server's `connection` event, before TLS): its bytes count until it closes. */
  socket(s: Socket): void {
    this.connections += 1;
    this.live.add(s);
    s.once('close', () => {
      this.live.delete(s);
      this.closedReceived += s.bytesRead;
      this.closedSent += s.bytesWritten;
    });
  }

  request(verb: string, resource: string, contentLength: string | undefined): void {
    this.requests.set(verb, (this.requests.get(verb) ?? 0) + 1);
    const key = `${verb} ${resource}`;
    this.byResource.set(key, (this.byResource.get(key) ?? 0) + 1);
    const bytes = Number(contentLength ?? 0);
    if (Number.isFinite(bytes) && bytes > 0) this.bodyBytes.set(verb, (this.bodyBytes.get(verb) ?? 0) + bytes);
  }

  watchLine(bytes: number, bookmark: boolean): void {
    if (bookmark) this.watchBookmarks += 1;
    else this.watchEvents += 1;
    this.watchBytes += bytes;
  }

  stats(): TrafficStats {
    let received = this.closedReceived;
    let sent = this.closedSent;
    for (const s of this.live) {
      received += s.bytesRead;
      sent += s.bytesWritten;
    }
    return {
      requests: Object.fromEntries(this.requests),
      requestsByResource: Object.fromEntries(this.byResource),
      requestBodyBytes: Object.fromEntries(this.bodyBytes),
      bytesReceived: received,
      bytesSent: sent,
      watchEvents: this.watchEvents,
      watchBookmarks: this.watchBookmarks,
      watchBytes: this.watchBytes,
      connections: this.connections,
    };
  }
}
