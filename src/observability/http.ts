/**
 * The replica's HTTP endpoint: `/metrics` (Prometheus text), `/healthz` (the process answers) and
 * `/readyz` (from a callback: e.g. caches synced and Redis reachable). Bound to 127.0.0.1 unless
 * told otherwise.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ObservabilityError } from './errors.js';
import type { MetricsSource } from './metrics.js';

/** Readiness: `true`, or a reason why not. */
export type ReadinessCheck = () => Promise<true | string> | true | string;

export interface ObservabilityServerOptions {
  /** The `Metrics` of a replica or manager, or any registry's text (the event sink's). */
  metrics: MetricsSource;
  /** @defaultValue () => true */
  ready?: ReadinessCheck;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
}

export interface ObservabilityServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startObservabilityServer(options: ObservabilityServerOptions): Promise<ObservabilityServer> {
  const ready = options.ready ?? (() => true);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    void (async () => {
      try {
        if (path === '/metrics') reply(200, await options.metrics.text(), options.metrics.contentType);
        else if (path === '/healthz') reply(200, 'ok\n');
        else if (path === '/readyz') {
          const result = await ready();
          if (result === true) reply(200, 'ok\n');
          else reply(503, `not ready: ${result}\n`);
        } else reply(404, 'not found\n');
      } catch (error) {
        reply(500, `error: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    })();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(new ObservabilityError('Listen', `cannot listen on ${host}:${options.port ?? 0}`, { cause })),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
