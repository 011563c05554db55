/**
 * One keep-alive connection pool for every API client of a process.
 *
 * client-node 1.x builds a new https.Agent for every request, so every call pays a new TCP
 * connection and TLS handshake (measured 5-8x slower than a kept-alive connection against our
 * server). `keepAliveConfiguration` gives a client Configuration whose requests share one agent,
 * built from the options the KubeConfig itself chose (CA, client certificate, TLS server name) by
 * a middleware that runs after authentication. `PooledKubeConfig` is a KubeConfig whose
 * `makeApiClient` hands every API client that one Configuration, so code that takes a KubeConfig
 * (informer lists, the status store, the event recorder, the adapters) shares the pool unchanged.
 * Watches still open their own long-lived connection (client-node's `Watch` does not go through
 * `makeApiClient`).
 *
 * With `requests`, every request through the pool is counted (client-go's `rest_client_*`); with
 * `serverClock`, every answer's `Date` header teaches it the API server's clock. Both wrap the HTTP
 * library, since a middleware sees the request and the response apart and never a request that
 * failed without an answer.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  ServerConfiguration,
  createConfiguration,
  wrapHttpLibrary,
  type Configuration,
  type HttpLibrary,
  type Middleware,
} from '@kubernetes/client-node';
import type { KubeRequestRecorder } from '../observability/kube-client.js';
import { KubeError } from './errors.js';
import { KubeRest } from './rest.js';
import type { ServerClock } from './server-clock.js';

export interface KeepAliveConfiguration {
  configuration: Configuration;
  /** Closes the pooled connections. */
  close(): void;
}

export interface KeepAliveOptions {
  /** Counts every request (method, host, status code, duration). @defaultValue none */
  requests?: KubeRequestRecorder;
  /** Learns the API server's clock from every answer's `Date` header. @defaultValue none */
  serverClock?: ServerClock;
  /**
   * The pool's agent, when another client owns it (`PooledKubeConfig`: its lean client's).
   * @defaultValue a keep-alive copy of the first request's agent
   */
  agent?: () => Promise<HttpAgent>;
}

/**
 * client-node's HTTP library, reporting each request's method, host, status and duration to
 * `requests` and each answer's `Date` header to `serverClock`.
 */
export function observingHttpLibrary(
  observers: KeepAliveOptions,
  inner: HttpLibrary = new IsomorphicFetchHttpLibrary(),
): HttpLibrary {
  const { requests, serverClock } = observers;
  return wrapHttpLibrary({
    send: async (request) => {
      const started = performance.now();
      const sentAtMs = serverClock?.localNow() ?? 0;
      const method = String(request.getHttpMethod());
      try {
        const response = await inner.send(request).toPromise();
        serverClock?.observe(response.headers['date'], sentAtMs, serverClock.localNow());
        requests?.request(
          method,
          hostOf(request.getUrl()),
          response.httpStatusCode,
          (performance.now() - started) / 1000,
        );
        return response;
      } catch (error) {
        requests?.request(method, hostOf(request.getUrl()), undefined, (performance.now() - started) / 1000);
        throw error;
      }
    },
  });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** A client Configuration for `kc` whose requests share one keep-alive agent of `maxSockets`. */
export function keepAliveConfiguration(
  kc: KubeConfig,
  maxSockets: number,
  options: KeepAliveOptions = {},
): KeepAliveConfiguration {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeError('Invalid', 'the kubeconfig has no current cluster');
  let pooled: HttpAgent | undefined;
  const share: Middleware = {
    pre: async (context) => {
      const agent = context.getAgent();
      if (options.agent && agent instanceof HttpAgent) {
        context.setAgent(await options.agent());
      } else if (agent instanceof HttpsAgent) {
        pooled ??= new HttpsAgent({ ...agent.options, keepAlive: true, maxSockets });
        context.setAgent(pooled);
      } else if (agent instanceof HttpAgent) {
        pooled ??= new HttpAgent({ keepAlive: true, maxSockets });
        context.setAgent(pooled);
      }
      return context;
    },
    post: async (response) => response,
  };
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [share],
    ...(options.requests || options.serverClock ? { httpApi: observingHttpLibrary(options) } : {}),
  });
  return { configuration, close: () => pooled?.destroy() };
}

type ApiConstructor<T> = new (configuration: Configuration) => T;

/**
 * A KubeConfig (a copy of `source`) whose API clients all share one keep-alive pool: client-node's
 * generated clients (`makeApiClient`) and the lean client of the hot calls (`rest`, see rest.ts).
 */
export class PooledKubeConfig extends KubeConfig {
  /**
   * The lean client (status writes, merge patches, reads, Events) over the same pool, counted alike
   * and teaching the same server clock.
   */
  readonly rest: KubeRest;
  private readonly pool: KeepAliveConfiguration;

  constructor(source: KubeConfig, maxSockets: number, options: KeepAliveOptions = {}) {
    super();
    this.loadFromOptions({
      clusters: source.clusters,
      contexts: source.contexts,
      users: source.users,
      currentContext: source.currentContext,
    });
    this.rest = new KubeRest(this, {
      maxSockets,
      ...(options.requests ? { requests: options.requests } : {}),
      ...(options.serverClock ? { serverClock: options.serverClock } : {}),
    });
    this.pool = keepAliveConfiguration(this, maxSockets, { ...options, agent: () => this.rest.agent() });
  }

  override makeApiClient<T>(apiClientType: ApiConstructor<T>): T {
    return new apiClientType(this.pool.configuration);
  }

  /** Closes the pooled connections. */
  close(): void {
    this.pool.close();
    this.rest.close();
  }
}

const ownRest = new WeakMap<KubeConfig, KubeRest>();

/**
 * The lean client of `kc`: a `PooledKubeConfig`'s own (one pool), else one per KubeConfig with its
 * own keep-alive agent (idle sockets do not hold a CLI process open).
 */
export function kubeRestOf(kc: KubeConfig): KubeRest {
  if (kc instanceof PooledKubeConfig) return kc.rest;
  let rest = ownRest.get(kc);
  if (!rest) ownRest.set(kc, (rest = new KubeRest(kc)));
  return rest;
}
