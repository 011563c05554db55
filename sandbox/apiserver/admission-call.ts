/**
 * One call to an admission webhook: POST an `admission.k8s.io/v1` AdmissionReview over HTTPS
 * (verified with the webhook's `caBundle`, or the system roots when it has none), within the
 * webhook's timeout, and read back its response. Every failure is a {@link WebhookCallError};
 * admission.ts turns it into "ignore" or a 500 by the webhook's failure policy.
 */
import { Agent, request } from 'node:https';
import { FlotillaError } from '../../src/api/errors.js';
import { isObject, type JsonObject } from './types.js';

/** `clientConfig.service`: a Service the real server reaches through cluster DNS. */
export interface WebhookServiceRef {
  namespace: string;
  name: string;
  path?: string;
  /** @defaultValue 443 */
  port?: number;
}

/**
 * Where `namespace/name:port` of a webhook Service is reachable from this server (`host:port`):
 * the embedded server has no cluster DNS. Undefined when unknown.
 */
export type ServiceResolver = (ref: { namespace: string; name: string; port: number }) => string | undefined;

export type WebhookCallErrorCode = 'Unreachable' | 'Timeout' | 'BadResponse' | 'NoAddress';

export class WebhookCallError extends FlotillaError<WebhookCallErrorCode> {
  override readonly name = 'WebhookCallError';
  constructor(code: WebhookCallErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: code === 'Unreachable' || code === 'Timeout' });
  }
}

export interface WebhookTarget {
  /** The URL as the real server prints it (`https://<svc>.<ns>.svc:443/path?timeout=10s`). */
  displayUrl: string;
  /** Where to connect. */
  url: URL;
  /** TLS server name to verify (the Service's DNS name for service refs). */
  servername: string | undefined;
  /** PEM text of the caBundle, when given. */
  ca: string | undefined;
}

/** Resolves a webhook's clientConfig to a connection target, or throws `no-address`. */
export function webhookTarget(
  clientConfig: unknown,
  timeoutSeconds: number,
  resolve: ServiceResolver | undefined,
): WebhookTarget {
  const cc = isObject(clientConfig) ? clientConfig : {};
  const caBundle =
    typeof cc['caBundle'] === 'string' && cc['caBundle'] !== ''
      ? Buffer.from(cc['caBundle'], 'base64').toString('utf8')
      : undefined;
  const query = `timeout=${timeoutSeconds}s`;
  if (typeof cc['url'] === 'string') {
    let url: URL;
    try {
      url = new URL(cc['url']);
    } catch (cause) {
      throw new WebhookCallError('NoAddress', `invalid webhook URL ${JSON.stringify(cc['url'])}`, { cause });
    }
    if (url.protocol !== 'https:')
      throw new WebhookCallError('NoAddress', `webhook URL must use https, got ${url.protocol}`);
    url.search = url.search === '' ? `?${query}` : `${url.search}&${query}`;
    return { displayUrl: url.toString(), url, servername: undefined, ca: caBundle };
  }
  if (isObject(cc['service'])) {
    const svc = cc['service'];
    const namespace = typeof svc['namespace'] === 'string' ? svc['namespace'] : '';
    const name = typeof svc['name'] === 'string' ? svc['name'] : '';
    const port = typeof svc['port'] === 'number' ? svc['port'] : 443;
    const path = typeof svc['path'] === 'string' ? svc['path'] : '/';
    const dnsName = `${name}.${namespace}.svc`;
    const displayUrl = `https://${dnsName}:${port}${path}?${query}`;
    const address = resolve?.({ namespace, name, port });
    if (address === undefined) {
      throw new WebhookCallError(
        'NoAddress',
        `Post "${displayUrl}": service "${namespace}/${name}:${port}" has no address known to this server`,
      );
    }
    return { displayUrl, url: new URL(`https://${address}${path}?${query}`), servername: dnsName, ca: caBundle };
  }
  throw new WebhookCallError('NoAddress', 'webhook clientConfig has neither url nor service');
}

/**
 * One keep-alive pool for every webhook call, as kube-apiserver keeps its connections to a webhook
 * open: a TLS handshake per admission request made each create cost several milliseconds more
 * (sockets are pooled per host, port, CA and server name, so targets never share one).
 */
const webhookAgent = new Agent({ keepAlive: true, maxSockets: 32 });

export interface CallOptions {
  target: WebhookTarget;
  review: JsonObject;
  timeoutMs: number;
}

/** POSTs the review and returns the parsed `response` object (uid checked by the caller). */
export function callWebhook(options: CallOptions): Promise<JsonObject> {
  const { target, review, timeoutMs } = options;
  const body = JSON.stringify(review);
  const post = `Post "${target.displayUrl}"`;
  return new Promise<JsonObject>((resolve, reject) => {
    let settled = false;
    const fail = (error: WebhookCallError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const req = request(
      target.url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
        ...(target.ca !== undefined ? { ca: target.ca } : {}),
        ...(target.servername !== undefined ? { servername: target.servername } : {}),
        agent: webhookAgent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (cause) => fail(new WebhookCallError('Unreachable', `${post}: ${cause.message}`, { cause })));
        res.on('end', () => {
          if (settled) return;
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
            fail(
              new WebhookCallError(
                'BadResponse',
                `the server responded with ${res.statusCode ?? 0}: ${text.slice(0, 200)}`,
              ),
            );
            return;
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch (cause) {
            fail(
              new WebhookCallError(
                'BadResponse',
                `received invalid webhook response: ${cause instanceof Error ? cause.message : String(cause)}`,
                { cause },
              ),
            );
            return;
          }
          if (!isObject(parsed) || !isObject(parsed['response'])) {
            fail(new WebhookCallError('BadResponse', 'received invalid webhook response: no response field'));
            return;
          }
          settled = true;
          clearTimeout(timer);
          resolve(parsed['response']);
        });
      },
    );
    const timer = setTimeout(
      () => fail(new WebhookCallError('Timeout', `${post}: context deadline exceeded`)),
      timeoutMs,
    );
    req.on('error', (cause) => fail(new WebhookCallError('Unreachable', `${post}: ${cause.message}`, { cause })));
    req.end(body);
  });
}
