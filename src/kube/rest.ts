/**
 * A lean JSON-over-HTTP(S) client for the few calls a replica makes per workflow (status writes,
 * merge patches, reads, Event creates), beside client-node's generated clients.
 *
 * Why: a client-node 1.4 request runs its generated request builder, a middleware chain through an
 * rxjs stub, the kubeconfig's authentication (which decodes the CA and builds a new `https.Agent`
 * per request, that the keep-alive pool then throws away), node-fetch's header objects, and
 * `ObjectSerializer` on both bodies. For a custom object every body is `any` and none of that
 * changes a byte on the wire: here a request is one `https.request` on a keep-alive agent, the
 * body `JSON.stringify`d and the answer `JSON.parse`d.
 *
 * What stays as client-node does it: the TLS options and the proxy come from the kubeconfig
 * (`applyToHTTPSOptions`, read once, as the pool pins them at its first request too); the
 * authentication headers are re-read from the kubeconfig every `authRefreshMs` (exec plugins and
 * token files rotate tokens; client-go re-reads a token file every minute); a non-2xx answer is
 * client-node's `ApiException` with the answer's text as body, so `toKubeError` maps it exactly as
 * before; every request is reported to the `KubeRequestRecorder` of the pool, and every answer's
 * `Date` header to its `ServerClock`.
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions, type RequestOptions } from 'node:https';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import type { KubeRequestRecorder } from '../observability/kube-client.js';
import { KubeError } from './errors.js';
import type { ServerClock } from './server-clock.js';

export interface KubeRestOptions {
  /** Sockets of the keep-alive pool. @defaultValue 16 */
  maxSockets?: number;
  /** Counts every request (method, host, status code, duration). @defaultValue none */
  requests?: KubeRequestRecorder;
  /** Learns the API server's clock from every answer's `Date` header. @defaultValue none */
  serverClock?: ServerClock;
  /** How long the kubeconfig's authentication headers are reused. @defaultValue 10000 */
  authRefreshMs?: number;
  /** @defaultValue Date.now */
  clock?: () => number;
}

export interface KubeRestRequest {
  method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  /** Path and query from the server's root, e.g. `/apis/flotilla.io/v1alpha1/namespaces/a/workflows/b`. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** @defaultValue 'application/json' */
  contentType?: string;
  /** The caller reads nothing of a 2xx answer: it resolves `undefined`, its body is not parsed. @defaultValue false */
  discardAnswer?: boolean;
}

interface Answer {
  status: number;
  text: string;
  headers: IncomingHttpHeaders;
}

/** Answer headers as client-node's `ApiException` carries them (built only for an error). */
function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

interface Transport {
  /** Holds the TLS options; a request names none, so picking a pooled socket compares no certificates. */
  agent: HttpAgent;
  /** The kubeconfig's headers (Authorization, Impersonate-User). */
  headers: OutgoingHttpHeaders;
  headersAt: number;
}

export class KubeRest {
  private readonly url: URL;
  private readonly secure: boolean;
  /** The server URL's own path (a proxy's prefix), without its trailing slash. */
  private readonly basePath: string;
  private transport: Promise<Transport> | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: KubeRestOptions = {},
  ) {
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new KubeError('Invalid', 'the kubeconfig has no current cluster');
    this.url = new URL(server);
    this.secure = this.url.protocol === 'https:';
    this.basePath = this.url.pathname.replace(/\/$/, '');
  }

  /** Sends `request`; resolves with the parsed answer of a 2xx, rejects with `ApiException` otherwise. */
  async send<T>(request: KubeRestRequest): Promise<T> {
    const transport = await this.ready();
    const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: OutgoingHttpHeaders = { ...transport.headers, accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = request.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const started = performance.now();
    const clock = this.options.serverClock;
    const sentAtMs = clock?.localNow() ?? 0;
    const host = this.url.host;
    let answer: Answer;
    try {
      answer = await this.exchange(transport, request, headers, payload);
    } catch (error) {
      this.options.requests?.request(request.method, host, undefined, (performance.now() - started) / 1000);
      throw error;
    }
    clock?.observe(answer.headers.date, sentAtMs, clock.localNow());
    this.options.requests?.request(request.method, host, answer.status, (performance.now() - started) / 1000);
    if (answer.status < 200 || answer.status > 299)
      throw new ApiException<unknown>(
        answer.status,
        answer.status === 401 ? 'Unauthorized' : 'Unknown API Status Code!',
        answer.status === 401 ? undefined : answer.text,
        flatHeaders(answer.headers),
      );
    if (request.discardAnswer === true) return undefined as T;
    return (answer.text === '' ? undefined : JSON.parse(answer.text)) as T;
  }

  /** The keep-alive agent every request goes through (client-node's pooled calls share it). */
  async agent(): Promise<HttpAgent> {
    return (await this.ready()).agent;
  }

  /**
   * Closes the pooled connections. As with the pool of client-node's calls, a request after it
   * (a late Event of a stopping replica) opens a new connection rather than failing.
   */
  close(): void {
    void this.transport?.then((t) => t.agent.destroy()).catch(() => undefined);
  }

  private exchange(
    transport: Transport,
    request: KubeRestRequest,
    headers: OutgoingHttpHeaders,
    payload: string | undefined,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const options: RequestOptions = {
        protocol: this.url.protocol,
        hostname: this.url.hostname,
        port: this.url.port,
        path: `${this.basePath}${request.path}`,
        method: request.method,
        headers,
        agent: transport.agent,
      };
      const onAnswer = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
      };
      const req = this.secure ? httpsRequest(options, onAnswer) : httpRequest(options, onAnswer);
      req.on('error', reject);
      req.end(payload);
    });
  }

  private async ready(): Promise<Transport> {
    this.transport ??= this.open();
    const transport = await this.transport;
    const now = (this.options.clock ?? Date.now)();
    if (now - transport.headersAt >= (this.options.authRefreshMs ?? 10_000)) {
      transport.headers = (await this.kubeConfigOptions()).headers;
      transport.headersAt = now;
    }
    return transport;
  }

  private async open(): Promise<Transport> {
    const { options, headers } = await this.kubeConfigOptions();
    const maxSockets = this.options.maxSockets ?? 16;
    const made = options.agent;
    // The kubeconfig's agent carries its TLS options (or is a proxy agent, kept as it is): one
    // keep-alive copy serves every request, as the pool of client-node's calls does.
    const agent =
      made instanceof HttpsAgent && made.constructor === HttpsAgent
        ? new HttpsAgent({ ...withSecureContext(made.options), keepAlive: true, maxSockets })
        : made instanceof HttpAgent && made.constructor === HttpAgent
          ? new HttpAgent({ keepAlive: true, maxSockets })
          : made instanceof HttpAgent
            ? made
            : this.secure
              ? new HttpsAgent({ keepAlive: true, maxSockets })
              : new HttpAgent({ keepAlive: true, maxSockets });
    return { agent, headers, headersAt: (this.options.clock ?? Date.now)() };
  }

  /** What client-node applies to a request from the kubeconfig: TLS options, agent, headers. */
  private async kubeConfigOptions(): Promise<{ options: RequestOptions; headers: OutgoingHttpHeaders }> {
    const options: RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    // client-node sets an object (Authorization, Impersonate-User), never raw header lines.
    const set = options.headers;
    const headers: OutgoingHttpHeaders =
      set !== undefined && !Array.isArray(set) ? { ...(set as OutgoingHttpHeaders) } : {};
    if (typeof options.auth === 'string' && options.auth !== '')
      headers.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    return { options, headers };
  }
}

const CONTEXT_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase'] as const;

/**
 * The agent's TLS material as one `secureContext`, built once: the agent keys its socket pool by a
 * name made of every TLS option of a request (the CA's PEM text included), rebuilt for each request
 * otherwise, and a new connection would parse the certificates again.
 */
function withSecureContext(options: AgentOptions): AgentOptions {
  if (options.secureContext !== undefined || !CONTEXT_KEYS.some((key) => options[key] !== undefined)) return options;
  const rest: AgentOptions = { ...options };
  const material: SecureContextOptions = {};
  for (const key of CONTEXT_KEYS) {
    if (options[key] !== undefined) Object.assign(material, { [key]: options[key] });
    delete rest[key];
  }
  return { ...rest, secureContext: createSecureContext(material) };
}
