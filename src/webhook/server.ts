/**
 * `flotilla webhook`: the admission webhook server.
 *
 * HTTPS (`--host`, `--port`): `POST /mutate-workflows` and `POST /validate-workflows` answer
 * `admission.k8s.io/v1` AdmissionReviews (see review.ts); `POST /mutate-pods` injects the secrets a
 * task Pod asks for (see secrets.ts). The serving certificate is re-read every
 * `reloadIntervalMs` from its source (files or a Secret) and swapped in with
 * `server.setSecureContext()`, so a rotation takes effect for new connections without a restart;
 * material that does not load (a half-written pair) keeps the previous certificate and is retried.
 * Plain HTTP on loopback (`metricsHost`, `metricsPort`): `GET /metrics` and `GET /healthz`.
 *
 * The certificate is read first (the HTTPS server cannot exist without one); then lifecycle
 * components: HTTPS listener and metrics listener (`server`), the reload timer (`worker`),
 * stopped in reverse.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { Lifecycle, LifecycleError, component } from '../lifecycle/index.js';
import { DEFAULT_SHARD_COUNT } from '../../shard-manager/sharding/hash.js';
import { WebhookError } from './errors.js';
import { MUTATE_PATH, MUTATE_PODS_PATH, VALIDATE_PATH } from './manifests.js';
import { WebhookMetrics } from './metrics.js';
import { mutateWorkflow, parseReview, reviewOf, validateWorkflowReview } from './review.js';
import { mutatePod, type SecretKeyReader } from './secrets.js';
import { FENCE_PATH, fenceDecision, fencedWrite } from './fence.js';
import type { TlsMaterial, TlsSource } from './tls-source.js';

export { MUTATE_PATH, MUTATE_PODS_PATH, VALIDATE_PATH };

export interface WebhookServerOptions {
  /** Where the serving certificate and key come from (re-read periodically). */
  tls: TlsSource & { reset?(): void };
  /** HTTPS bind address. @defaultValue '127.0.0.1' */
  host?: string;
  /** HTTPS port; 0 picks a free one. @defaultValue 9443 */
  port?: number;
  /** Metrics/health bind address (plain HTTP). @defaultValue '127.0.0.1' */
  metricsHost?: string;
  /** Metrics/health port; 0 picks a free one. @defaultValue 9444 */
  metricsPort?: number;
  /** Shard count of the fleet (the hash modulus). @defaultValue 32 */
  shardCount?: number;
  /** How often the certificate source is polled. @defaultValue 2000 */
  reloadIntervalMs?: number;
  /** Also export Node process metrics. @defaultValue false */
  processMetrics?: boolean;
  /**
   * Reads Secrets' key names for `/mutate-pods` (the CLI passes one on its kubeconfig). Without it a
   * Pod asking for secrets is refused with 503 naming why. @defaultValue none
   */
  secrets?: SecretKeyReader;
  /** @defaultValue pino to stderr at 'info' */
  logger?: Logger;
  /**
   * The fence (`POST /fence`): where the shard leases' current epochs are read (`LeaseEpochs`).
   * @defaultValue none: `/fence` answers 404
   */
  fence?: { epochOf(shard: string): Promise<number | undefined> };
}

export interface RunningWebhookServer {
  /** `https://host:port` */
  readonly url: string;
  readonly port: number;
  /** `http://host:port` of /metrics and /healthz */
  readonly metricsUrl: string;
  readonly metrics: WebhookMetrics;
  /** Polls the certificate source now; true when a new certificate was applied. */
  reload(): Promise<boolean>;
  stop(): Promise<void>;
}

const maxBody = 3 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        reject(new WebhookError('BadReview', 'request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function checkMaterial(m: TlsMaterial): number {
  createSecureContext({ cert: m.certPem, key: m.keyPem });
  const cert = new X509Certificate(m.certPem);
  if (!cert.checkPrivateKey(createPrivateKey(m.keyPem)))
    throw new WebhookError('TlsLoad', 'the private key does not match the certificate');
  return Math.floor(new Date(cert.validTo).getTime() / 1000);
}

async function listen(server: HttpServer | HttpsServer, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(new WebhookError('ListenFailed', `cannot listen on ${host}:${port}`, { cause })),
    );
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function closeServer(server: HttpServer | HttpsServer, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}

function trackSockets(server: HttpServer | HttpsServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningWebhookServer> {
  const log = options.logger ?? pino({ name: 'flotilla-webhook' }, pino.destination(2));
  const shardCount = options.shardCount ?? DEFAULT_SHARD_COUNT;
  const metrics = new WebhookMetrics({ processMetrics: options.processMetrics ?? false });
  const host = options.host ?? '127.0.0.1';
  const metricsHost = options.metricsHost ?? '127.0.0.1';

  const first = await options.tls.poll();
  if (first === undefined) throw new WebhookError('TlsLoad', `no certificate from ${options.tls.description}`);
  try {
    metrics.certExpiry.set(checkMaterial(first));
  } catch (cause) {
    throw new WebhookError('TlsLoad', `the certificate from ${options.tls.description} does not load`, { cause });
  }
  metrics.reloads.inc({ result: 'ok' });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    const fence = options.fence;
    if (path !== MUTATE_PATH && path !== VALIDATE_PATH && path !== MUTATE_PODS_PATH && !(path === FENCE_PATH && fence))
      return send(res, 404, 'not found\n');
    if (req.method !== 'POST') return send(res, 405, 'POST only\n');
    const end = metrics.duration.startTimer({ path });
    try {
      const request = parseReview(JSON.parse(await readBody(req)) as unknown);
      if (path === FENCE_PATH && fence) {
        const write = fencedWrite(request);
        let current: number | undefined;
        try {
          current = write === undefined ? undefined : await fence.epochOf(write.shard);
        } catch (error) {
          // Not a bad request: the API server applies the webhook's failure policy to a 503.
          metrics.requests.inc({ path, result: 'error' });
          log.warn({ path, err: error instanceof Error ? error.message : String(error) }, 'fence: lease read failed');
          return send(
            res,
            503,
            `cannot read the shard lease: ${error instanceof Error ? error.message : String(error)}\n`,
          );
        }
        const { response, result } = fenceDecision(request, write, current);
        metrics.requests.inc({ path, result });
        if (result === 'denied')
          log.info(
            { uid: request.uid, namespace: request.namespace, name: request.name, write, current },
            'fence: stale write refused',
          );
        return send(res, 200, reviewOf(response));
      }
      const { response, result } =
        path === MUTATE_PODS_PATH
          ? await mutatePod(request, options.secrets)
          : path === MUTATE_PATH
            ? mutateWorkflow(request, shardCount)
            : validateWorkflowReview(request, shardCount);
      metrics.requests.inc({ path, result });
      log.debug(
        { path, uid: request.uid, namespace: request.namespace, name: request.name, result },
        'admission review',
      );
      send(res, 200, reviewOf(response));
    } catch (error) {
      metrics.requests.inc({ path, result: 'error' });
      log.warn({ path, err: error instanceof Error ? error.message : String(error) }, 'bad admission request');
      send(res, 400, `bad request: ${error instanceof Error ? error.message : String(error)}\n`);
    } finally {
      end();
    }
  };
  const https = createHttpsServer({ cert: first.certPem, key: first.keyPem }, (req, res) => void handle(req, res));
  const httpsSockets = trackSockets(https);

  const plain = createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET') return send(res, 405, 'GET only\n');
    if (path === '/healthz') return send(res, 200, 'ok\n');
    if (path !== '/metrics') return send(res, 404, 'not found\n');
    void metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        res.end(text);
      },
      (error: unknown) => send(res, 500, `error: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  const plainSockets = trackSockets(plain);

  let reloading: Promise<boolean> | undefined;
  const reload = (): Promise<boolean> => {
    reloading ??= (async () => {
      try {
        const next = await options.tls.poll();
        if (next === undefined) return false;
        try {
          const expiry = checkMaterial(next);
          https.setSecureContext({ cert: next.certPem, key: next.keyPem });
          metrics.certExpiry.set(expiry);
          metrics.reloads.inc({ result: 'ok' });
          log.info({ source: options.tls.description }, 'serving certificate reloaded');
          return true;
        } catch (cause) {
          // A pair caught mid-rotation: keep serving the old one, read again next time.
          options.tls.reset?.();
          throw cause;
        }
      } catch (error) {
        metrics.reloads.inc({ result: 'error' });
        log.warn(
          { source: options.tls.description, err: error instanceof Error ? error.message : String(error) },
          'serving certificate not reloaded; keeping the current one',
        );
        return false;
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
  };
  let timer: NodeJS.Timeout | undefined;
  let port = 0;
  let metricsPort = 0;
  const lifecycle = new Lifecycle(
    [
      component({
        name: 'admission server',
        stage: 'server',
        start: async () => {
          port = await listen(https, options.port ?? 9443, host);
        },
        stop: () => closeServer(https, httpsSockets),
      }),
      component({
        name: 'webhook metrics server',
        stage: 'server',
        start: async () => {
          metricsPort = await listen(plain, options.metricsPort ?? 9444, metricsHost);
        },
        stop: () => closeServer(plain, plainSockets),
      }),
      component({
        name: 'certificate reload',
        stage: 'worker',
        start: () => {
          timer = setInterval(() => void reload(), options.reloadIntervalMs ?? 2000);
          timer.unref();
        },
        stop: () => clearInterval(timer),
      }),
    ],
    { logger: log },
  );
  try {
    await lifecycle.start();
  } catch (error) {
    // Callers get the WebhookError (e.g. `listen-failed`), as before the lifecycle.
    throw error instanceof LifecycleError && error.cause instanceof WebhookError ? error.cause : error;
  }

  const urlHost = (h: string): string => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h);
  return {
    url: `https://${urlHost(host)}:${port}`,
    port,
    metricsUrl: `http://${urlHost(metricsHost)}:${metricsPort}`,
    metrics,
    reload,
    // Closing sockets is all the grace there is: admission calls are short and retried by the API server.
    stop: () => lifecycle.stop({ graceMs: 0 }),
  };
}
