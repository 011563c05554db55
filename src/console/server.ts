/**
 * The console's HTTP server: three pages (`/`, `/workflows`, `/workflows/<namespace>/<name>`),
 * all one HTML shell whose bundled script renders them; a JSON API read from the watched cache;
 * server-sent event streams that push a fresh snapshot when the cache changes (debounced); a
 * workflow's stored execution events read from the event sink when asked (sink.ts); a node's
 * offloaded outputs read from the blob store when asked (outputs.ts); and two writes (abort, signal) guarded by security.ts and made with the caller's rights (actions.ts).
 *
 * Start order: caches (the cluster view's informers) → the script bundle → the listener; stop in
 * reverse (streams closed, listener closed, informers stopped).
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { JsonValue } from '../api/schema.js';
import type { ClientSecurityOptions } from '../security/grpc.js';
import type { BlobStore } from '../storage/blob-store.js';
import { Actions } from './actions.js';
import { loadUiAssets, type UiAssets } from './bundle.js';
import { ClusterView, type ClusterChange } from './cluster.js';
import { ConsoleError } from './errors.js';
import { filterWorkflows, workflowDetail, type WorkflowFilter, type WorkflowKind } from './model.js';
import { callerOf, checkHost, checkSameOrigin } from './security.js';
import { SinkReader } from './sink.js';
import { readNodeOutputs } from './outputs.js';

export interface ConsoleOptions {
  kubeConfig: KubeConfig;
  /** `host:port` to listen on; port 0 picks a free one. @defaultValue '127.0.0.1:8090' */
  listen?: string;
  /** The token that acts as the kubeconfig's identity. @defaultValue random (24 bytes, base64url) */
  token?: string;
  /** Serve HTTPS with this certificate. @defaultValue undefined (HTTP) */
  tls?: { certPem: string; keyPem: string };
  /** The namespace of the fleet's Leases. @defaultValue 'flotilla-system' */
  fleetNamespace?: string;
  /** Coalesce changes for this long before a stream sends a snapshot. @defaultValue 150 */
  streamDebounceMs?: number;
  /** The event sink whose stored execution events the workflow page lists. @defaultValue none */
  eventSink?: { address: string; security?: ClientSecurityOptions };
  /** The blob store of offloaded node outputs (read when a node's panel opens); the caller closes it. @defaultValue none */
  blobStore?: BlobStore;
}

export interface RunningConsole {
  /** `http://host:port/` (a wildcard listen address is shown as loopback). */
  readonly url: string;
  /** The console token (see security.ts): give it to the page as `#token=...` or paste it there. */
  readonly token: string;
  stop(): Promise<void>;
}

/** `HOST:PORT`, `[IPV6]:PORT` or `:PORT` (loopback). */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConsoleError('BadRequest', `invalid listen address "${listen}": expected HOST:PORT`);
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

const PAGE_SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

function shell(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><link rel="stylesheet" href="/assets/console.css"></head>
<body><div id="app"></div><script type="module" src="/assets/app.js"></script></body></html>
`;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...PAGE_SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ConsoleError('BadRequest', `request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  if (chunks.length === 0) return {};
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    return body as Record<string, unknown>;
  } catch (cause) {
    throw new ConsoleError('BadRequest', 'the request body is not a JSON object', { cause });
  }
}

function filterOf(query: URLSearchParams): WorkflowFilter {
  const kind = query.get('kind');
  return {
    ...(query.get('namespace') ? { namespace: query.get('namespace') ?? '' } : {}),
    ...(query.get('phase') ? { phase: query.get('phase') ?? '' } : {}),
    ...(query.get('shard') ? { shard: query.get('shard') ?? '' } : {}),
    ...(query.get('label') ? { label: query.get('label') ?? '' } : {}),
    ...(kind === 'Workflow' || kind === 'FlyteWorkflow' ? { kind: kind as WorkflowKind } : {}),
  };
}

/** Starts watching, bundles the page script and listens; see the module comment. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { host, port } = parseListen(options.listen ?? '127.0.0.1:8090');
  const token = options.token ?? randomBytes(24).toString('base64url');
  const cluster = new ClusterView({
    kubeConfig: options.kubeConfig,
    ...(options.fleetNamespace ? { fleetNamespace: options.fleetNamespace } : {}),
  });
  await cluster.start();
  let assets: UiAssets;
  try {
    assets = await loadUiAssets();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  const actions = new Actions(options.kubeConfig);
  const sink = options.eventSink
    ? new SinkReader({
        address: options.eventSink.address,
        ...(options.eventSink.security ? { security: options.eventSink.security } : {}),
      })
    : undefined;
  const streams = new Set<ServerResponse>();
  const debounceMs = options.streamDebounceMs ?? 150;

  const fleet = () => cluster.fleet(Date.now());
  const detail = (namespace: string, name: string) => {
    const object = cluster.findWorkflow(namespace, name);
    return object ? workflowDetail(object, Date.now()) : null;
  };

  /** A server-sent event stream: `snapshot()` now and after every relevant change. */
  const stream = (
    req: IncomingMessage,
    res: ServerResponse,
    relevant: (change: ClusterChange) => boolean,
    snapshot: () => unknown,
  ) => {
    res.writeHead(200, {
      ...PAGE_SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    streams.add(res);
    let timer: NodeJS.Timeout | undefined;
    const push = () => {
      timer = undefined;
      res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`);
    };
    push();
    const unsubscribe = cluster.onChange((change) => {
      if (relevant(change) && timer === undefined) timer = setTimeout(push, debounceMs);
    });
    // A comment every 15 s keeps proxies from closing an idle stream.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const close = () => {
      unsubscribe();
      clearInterval(keepAlive);
      if (timer) clearTimeout(timer);
      streams.delete(res);
    };
    req.on('close', close);
    res.on('close', close);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    checkHost(req, host);
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    const parts = path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      if (path === '/') return send(res, 200, 'text/html; charset=utf-8', shell('flotilla · fleet'));
      if (path === '/workflows') return send(res, 200, 'text/html; charset=utf-8', shell('flotilla · workflows'));
      if (parts[0] === 'workflows' && parts.length === 3)
        return send(res, 200, 'text/html; charset=utf-8', shell(`flotilla · ${parts[1]}/${parts[2]}`));
      if (path === '/assets/app.js') return send(res, 200, 'text/javascript; charset=utf-8', assets.script);
      if (path === '/assets/console.css') return send(res, 200, 'text/css; charset=utf-8', assets.css);
      if (path === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok');
      if (path === '/api/fleet') return sendJson(res, 200, fleet());
      if (path === '/api/workflows') return sendJson(res, 200, workflowsPage(url.searchParams));
      if (parts[0] === 'api' && parts[1] === 'workflows' && parts.length === 4) {
        const found = detail(parts[2] ?? '', parts[3] ?? '');
        if (!found) throw new ConsoleError('NotFound', `workflow ${parts[2]}/${parts[3]} not found`);
        return sendJson(res, 200, found);
      }
      if (parts[0] === 'api' && parts[1] === 'workflows' && parts.length === 5 && parts[4] === 'node') {
        const nodeId = url.searchParams.get('id') ?? '';
        return sendJson(res, 200, await cluster.nodeResources(parts[2] ?? '', parts[3] ?? '', nodeId));
      }
      if (path === '/api/stream/fleet') return stream(req, res, () => true, fleet);
      if (path === '/api/stream/workflows')
        return stream(
          req,
          res,
          (c) => c.what === 'workflow',
          () => workflowsPage(url.searchParams),
        );
      if (parts[0] === 'api' && parts[1] === 'workflows' && parts.length === 5 && parts[4] === 'outputs') {
        const object = cluster.findWorkflow(parts[2] ?? '', parts[3] ?? '');
        if (!object) throw new ConsoleError('NotFound', `workflow ${parts[2]}/${parts[3]} not found`);
        return sendJson(res, 200, await readNodeOutputs(options.blobStore, object, url.searchParams.get('id') ?? ''));
      }
      if (parts[0] === 'api' && parts[1] === 'workflows' && parts.length === 5 && parts[4] === 'events') {
        if (!sink) return sendJson(res, 200, { configured: false, events: [], truncated: false });
        return sendJson(res, 200, await sink.events(parts[2] ?? '', parts[3] ?? ''));
      }
      if (parts[0] === 'api' && parts[1] === 'stream' && parts[2] === 'workflows' && parts.length === 5) {
        const [namespace = '', name = ''] = [parts[3], parts[4]];
        return stream(
          req,
          res,
          (c) => c.what === 'workflow' && c.key === `${namespace}/${name}`,
          () => detail(namespace, name),
        );
      }
      throw new ConsoleError('NotFound', `no page ${path}`);
    }
    if (method === 'POST' && parts[0] === 'api' && parts[1] === 'workflows' && parts.length === 5) {
      checkSameOrigin(req);
      const caller = callerOf(req, token);
      const [namespace = '', name = '', action] = [parts[2], parts[3], parts[4]];
      const body = await readJson(req);
      if (action === 'abort') {
        await actions.abort(caller, namespace, name);
        return sendJson(res, 200, { message: `workflow ${namespace}/${name} aborted` });
      }
      if (action === 'signal') {
        const signal = body['signal'];
        if (typeof signal !== 'string' || signal === '' || !('value' in body))
          throw new ConsoleError('BadRequest', 'a signal needs {"signal": NAME, "value": VALUE}');
        const setBy = caller.kind === 'console' ? 'flotilla-console' : 'flotilla-console (token)';
        await actions.signal(caller, namespace, name, signal, body['value'] as JsonValue, setBy);
        return sendJson(res, 200, { message: `signal ${signal} set on ${namespace}/${name}` });
      }
    }
    throw new ConsoleError('NotFound', `no action ${method} ${path}`);
  };

  const workflowsPage = (query: URLSearchParams) => {
    const page = Number(query.get('page') ?? '1');
    return {
      ...filterWorkflows(cluster.workflowRows(), filterOf(query), Number.isInteger(page) ? page : 1),
      flyteWatched: cluster.flyteWatched,
    };
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((error: unknown) => {
      const known =
        error instanceof ConsoleError
          ? error
          : new ConsoleError('Internal', error instanceof Error ? error.message : String(error));
      if (res.headersSent) res.end();
      else sendJson(res, known.httpStatus, { code: known.code, message: known.message });
    });
  };

  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, handle)
    : createHttpServer(handle);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause) =>
        reject(new ConsoleError('ListenFailed', `cannot listen on ${host}:${port}: ${cause.message}`, { cause })),
      );
      server.listen(port, host, () => resolve());
    });
  } catch (error) {
    sink?.close();
    await cluster.stop();
    throw error;
  }
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `${options.tls ? 'https' : 'http'}://${shownHost}:${bound}/`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    token,
    stop: () =>
      (stopping ??= (async () => {
        for (const res of streams) res.end();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        });
        sink?.close();
        await cluster.stop();
      })()),
  };
}
