/**
 * The embedded Kubernetes-compatible API server: HTTPS with its own CA, bearer-token auth,
 * discovery, OpenAPI v3, built-in resources and CRDs with schema validation, list/watch with
 * resourceVersion semantics, patches, finalizers and garbage collection, Tables, fault injection
 * and optional persistence. Real clients (kubectl, @kubernetes/client-node) work unchanged.
 *
 * Start order: persistence → CA/cert → store (+ CRDs served) → listener → kubelet.
 * Stop order is the reverse: kubelet → watches → listener → persistence flush.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { dirname } from 'node:path';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from '../../src/security/certs.js';
import { Admission, type ServiceResolver } from './admission.js';
import { builtinResources, initialNamespaces } from './builtins.js';
import { resourceTypeFromCrd } from './crd.js';
import { ApiServerError } from './errors.js';
import { rbacAllows, type ApiUser } from './authz.js';
import { FaultInjector } from './faults.js';
import { Collector } from './gc.js';
import { ResourceHandlers } from './http/handlers-resources.js';
import { Router } from './http/router.js';
import { renderKubeconfig } from './kubeconfig.js';
import { CRD_KEY, Resources } from './operations.js';
import { OpenApi } from './openapi.js';
import { Persistence } from './persistence.js';
import { ResourceRegistry } from './registry.js';
import { Store } from './store.js';
import { WatchHub } from './watch.js';

export { FaultInjector } from './faults.js';
export type {
  AuditEntry,
  AuditFilter,
  AuditStats,
  AuditVerb,
  ConflictFault,
  LatencyFault,
  PartitionFault,
  RequestRecord,
  RequestVerb,
} from './faults.js';
export type { TrafficStats } from './traffic.js';
export type { ApiUser } from './authz.js';

export interface ApiServerOptions {
  /** TCP port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** Bind address. @defaultValue '127.0.0.1' (loopback only unless told otherwise) */
  host?: string;
  /** Persist objects here so a restart keeps them. @defaultValue undefined (memory only) */
  dataDir?: string;
  /** Write a kubeconfig for this server to this path. @defaultValue undefined (not written) */
  kubeconfigOut?: string;
  /** Bearer token; generated (random) when absent (or kept in dataDir). */
  token?: string;
  /**
   * Further bearer tokens whose requests RBAC checks against the stored Roles and bindings (the
   * `token` above is the administrator, allowed everything). @defaultValue [] (authz.ts)
   */
  users?: readonly ApiUser[];
  /** Watch events kept for resuming watches; older resourceVersions get 410. @defaultValue 10000 */
  historyLimit?: number;
  /** Start the simulated kubelet in-process. @defaultValue true */
  kubelet?: boolean;
  /** The blob store the kubelet's pyflyte-execute stand-in uses (see KubeletOptions.blobStoreUrl). @defaultValue undefined */
  blobStoreUrl?: string;
  /** Interval of BOOKMARK events on watches that allow them. @defaultValue 1000 */
  bookmarkIntervalMs?: number;
  /**
   * Where admission webhooks given as a Service are reachable: `"namespace/name:port"` →
   * `"host:port"` (the embedded server has no cluster DNS; TLS is still verified against
   * `<name>.<namespace>.svc`). @defaultValue {} (only `clientConfig.url` webhooks are reachable)
   */
  webhookServices?: Record<string, string> | ServiceResolver;
}

export interface RunningApiServer {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** PEM of the CA that signed the serving cert. */
  readonly caPem: string;
  /** kubeconfig YAML text (server, certificate-authority-data, token). */
  readonly kubeconfig: string;
  /** In-process handle to the same faults as the HTTP endpoint. */
  readonly faults: FaultInjector;
  /** Closes watches, the listener, flushes persistence. */
  stop(): Promise<void>;
}

async function loadIdentity(
  persistence: Persistence | undefined,
  token: string | undefined,
): Promise<{ ca: CertificateAuthority; token: string }> {
  let ca: CertificateAuthority | undefined;
  const saved = persistence?.readFile('ca.json');
  if (saved) ca = JSON.parse(saved) as CertificateAuthority;
  if (!ca) {
    ca = await createCertificateAuthority({ commonName: 'flotilla-sandbox-ca' });
    persistence?.writeFile('ca.json', JSON.stringify(ca));
  }
  let tok = token ?? persistence?.readFile('token')?.trim();
  if (!tok) tok = randomBytes(24).toString('base64url');
  persistence?.writeFile('token', tok);
  return { ca, token: tok };
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<RunningApiServer> {
  const host = options.host ?? '127.0.0.1';
  const persistence = options.dataDir !== undefined ? new Persistence(options.dataDir) : undefined;
  const { ca, token } = await loadIdentity(persistence, options.token);
  const ipAddresses = ['127.0.0.1', '::1'];
  if (isIP(host) !== 0 && !ipAddresses.includes(host) && host !== '0.0.0.0' && host !== '::') ipAddresses.push(host);
  const dnsNames = ['localhost'];
  if (isIP(host) === 0 && host !== 'localhost') dnsNames.push(host);
  const serving = await issueCertificate(ca, {
    commonName: 'flotilla-apiserver',
    dnsNames,
    ipAddresses,
    usage: 'server',
  });

  const registry = new ResourceRegistry();
  for (const rt of builtinResources()) registry.add(rt);
  const hub = new WatchHub();
  const store = new Store({
    historyLimit: options.historyLimit ?? 10000,
    onPersist: persistence ? (op) => persistence.append(op) : undefined,
  });
  if (persistence) {
    const state = persistence.load();
    store.load(state.rv, state.objects);
    for (const crd of store.list(CRD_KEY)) {
      try {
        registry.add(resourceTypeFromCrd(crd));
      } catch (cause) {
        throw new ApiServerError('PersistenceCorrupt', `cannot serve persisted CRD ${crd.metadata.name ?? ''}`, {
          cause,
        });
      }
    }
  }
  store.addListener((e) => hub.dispatch(e));
  const faults = new FaultInjector();
  faults.expireWatchesHook = () => hub.expireAll(`too old resource version: ${store.currentRv}`);
  faults.compactHook = () => store.compact();
  const resources = new Resources(store, registry, faults);
  const gc = new Collector(resources);
  const nsType = registry.byResourceKey('/namespaces');
  if (nsType) {
    for (const ns of initialNamespaces) {
      if (!store.get('/namespaces', undefined, ns))
        resources.create(nsType, 'v1', undefined, { metadata: { name: ns } });
    }
  }
  const services = options.webhookServices;
  const resolveService: ServiceResolver =
    typeof services === 'function' ? services : (ref) => services?.[`${ref.namespace}/${ref.name}:${ref.port}`];
  const admission = new Admission(resources, { resolveService });
  const handlers = new ResourceHandlers({
    res: resources,
    gc,
    hub,
    admission,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
  });
  let port = options.port ?? 0;
  const router = new Router({
    token,
    users: options.users ?? [],
    authorize: (who, request) => rbacAllows(store, who, request),
    registry,
    faults,
    openapi: new OpenApi(registry),
    resources: handlers,
    serverAddress: () => `${host}:${port}`,
  });

  const server: Server = createServer(
    { cert: serving.certPem, key: serving.keyPem, ca: ca.certPem },
    (req, res) => void router.handle(req, res),
  );
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    faults.traffic.socket(s);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(new ApiServerError('ListenFailed', `cannot listen on ${host}:${port}`, { cause })),
    );
    server.listen(port, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : isIP(host) === 6 ? `[${host}]` : host;
  const url = `https://${urlHost}:${port}`;
  const kubeconfig = renderKubeconfig({ server: url, caPem: ca.certPem, token });
  if (options.kubeconfigOut) {
    mkdirSync(dirname(options.kubeconfigOut), { recursive: true });
    writeFileSync(options.kubeconfigOut, kubeconfig, { mode: 0o600 });
  }

  let kubelet: { stop(): Promise<void> } | undefined;
  if (options.kubelet !== false) {
    const { startKubelet } = await import('../kubelet/index.js');
    kubelet = await startKubelet({
      kubeconfig,
      ...(options.blobStoreUrl !== undefined ? { blobStoreUrl: options.blobStoreUrl } : {}),
    });
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (kubelet) await kubelet.stop();
      hub.closeAll();
      gc.stop();
      faults.dispose();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      if (persistence) {
        const objects = store
          .resourceKeys()
          .flatMap((resourceKey) => store.list(resourceKey).map((object) => ({ resourceKey, object })));
        await persistence.close({ rv: store.currentRv, objects });
      }
    })();
    return stopping;
  };

  return { url, port, token, caPem: ca.certPem, kubeconfig, faults, stop };
}
