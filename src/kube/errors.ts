/**
 * Errors of the controller (Kubernetes calls, status store, informers). Callers branch on the class
 * or `code`, never on message text. `retryable` says whether trying again later can help.
 *
 * `toKubeError` keeps the cause in the message, because that is what an operator reads: for a
 * transport failure the system code and the server (`connection refused (ECONNREFUSED) to
 * 127.0.0.1:6443`), for an HTTP answer the API server's own Status message (RBAC text,
 * `exceeded quota: …`, field errors).
 */
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { FlotillaError } from '../api/errors.js';

export type KubeErrorCode =
  'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'Gone' | 'Forbidden' | 'Unavailable' | 'Unknown';

/** Whether each code is worth retrying: a re-read fixes Conflict and Gone, time fixes Unavailable. */
const RETRYABLE: Readonly<Record<KubeErrorCode, boolean>> = {
  NotFound: false,
  AlreadyExists: false,
  Conflict: true,
  Invalid: false,
  Gone: true,
  Forbidden: false,
  Unavailable: true,
  Unknown: false,
};

/** The Status `details` the API server sent (which object, which fields). */
export interface KubeStatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly causes?: ReadonlyArray<{ readonly reason?: string; readonly message?: string; readonly field?: string }>;
}

export interface KubeErrorOptions {
  readonly cause?: unknown;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** The Kubernetes Status `reason`, when the server sent one. */
  readonly reason?: string;
  /** The Kubernetes Status `message`, when the server sent one. */
  readonly serverMessage?: string;
  readonly details?: KubeStatusDetails;
  /** The transport's system error code (ECONNREFUSED, CERT_HAS_EXPIRED, …), when no answer came. */
  readonly syscallCode?: string;
  /** `host:port` of the API server the call went to, when known. */
  readonly server?: string;
}

export class KubeError extends FlotillaError<KubeErrorCode> {
  override readonly name: string = 'KubeError';
  constructor(code: KubeErrorCode, message: string, options: KubeErrorOptions = {}) {
    super(code, message, { cause: options.cause, retryable: RETRYABLE[code] });
    this.status = options.status;
    this.reason = options.reason;
    this.serverMessage = options.serverMessage;
    this.details = options.details;
    this.syscallCode = options.syscallCode;
    this.server = options.server;
    this.nextStep = nextStepFor(code, options);
  }
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** The Kubernetes Status `reason`, when the server sent one. */
  readonly reason: string | undefined;
  /** The API server's Status `message` (what `kubectl` prints), when it sent one. */
  readonly serverMessage: string | undefined;
  readonly details: KubeStatusDetails | undefined;
  /** The transport's system error code, when the server never answered. */
  readonly syscallCode: string | undefined;
  /** `host:port` of the API server, when known. */
  readonly server: string | undefined;
  /** What an operator can do about it (CLIs print it under the message, replicas log it), when we know. */
  readonly nextStep: string | undefined;
}

/**
 * The next step for an error an operator can act on: the API server not reached, its certificate
 * not trusted, the credentials refused or a permission missing. Decided by the code, the system
 * code and the HTTP status, never by message text.
 */
function nextStepFor(code: KubeErrorCode, o: KubeErrorOptions): string | undefined {
  const at = o.server !== undefined ? ` at ${o.server}` : '';
  if (o.syscallCode !== undefined && isCertificateCode(o.syscallCode))
    return `the kubeconfig's certificate-authority does not sign the certificate of the API server${at}: use the kubeconfig of this cluster (the sandbox writes .flotilla/kubeconfig), or fix certificate-authority-data; do not switch TLS verification off`;
  if (code === 'Unavailable' && o.status === undefined)
    return `check that the API server${at} is running and reachable from here, and that the kubeconfig names it (kubectl config view --minify)`;
  if (o.status === 401)
    return "the API server refused the kubeconfig's credentials: refresh them (an expired token?) or pick another --context";
  if (o.status === 403)
    return "the kubeconfig's identity lacks this permission: see what it may do with `kubectl auth can-i --list -n <namespace>`; a fleet installed by the chart gets exactly the Roles in charts/flotilla/files/rbac.yaml";
  return undefined;
}

/** A status write refused because the object changed since we read it (409): re-read, never overwrite. */
export class StatusConflictError extends KubeError {
  override readonly name = 'StatusConflictError';
  constructor(
    readonly key: string,
    readonly resourceVersion: string,
    options?: { cause?: unknown },
  ) {
    super('Conflict', `status of ${key} changed since resourceVersion ${resourceVersion}`, {
      ...options,
      status: 409,
      reason: 'Conflict',
    });
  }
}

export type InformerErrorCode = 'NotStarted' | 'SyncTimeout' | 'Stopped';

export class InformerError extends FlotillaError<InformerErrorCode> {
  override readonly name = 'InformerError';
  constructor(code: InformerErrorCode, message: string, options?: { cause?: unknown }) {
    // Not synced yet may sync later; a stopped informer stays stopped.
    super(code, message, { ...options, retryable: code !== 'Stopped' });
  }
}

/** `host:port` of `kc`'s current cluster (what a transport error names), or undefined. */
export function kubeServer(kc: Pick<KubeConfig, 'getCurrentCluster'>): string | undefined {
  const server = kc.getCurrentCluster()?.server;
  if (!server) return undefined;
  try {
    const url = new URL(server);
    return `${url.hostname}:${url.port || (url.protocol === 'http:' ? '80' : '443')}`;
  } catch {
    return server;
  }
}

/**
 * Maps anything client-node throws to a `KubeError` (an existing `KubeError` passes through).
 * `server` (see {@link kubeServer}) is named in transport errors when the error itself does not
 * carry the address (client-node 1.4's FetchError keeps only the code).
 */
export function toKubeError(error: unknown, what: string, server?: string): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof ApiException) {
    const status = typeof error.code === 'number' ? error.code : 0;
    const body = statusBody(error.body);
    const reason = body?.reason;
    const serverMessage = body?.message;
    const text = `${what}: HTTP ${status}${reason ? ` ${reason}` : ''}${serverMessage ? `: ${serverMessage}` : ''}`;
    return new KubeError(codeFor(status, reason), text, {
      cause: error,
      status,
      ...(reason !== undefined ? { reason } : {}),
      ...(serverMessage !== undefined ? { serverMessage } : {}),
      ...(body?.details ? { details: body.details } : {}),
      ...(server !== undefined ? { server } : {}),
    });
  }
  // Everything else is the transport (refused, reset, timed out, TLS): the server is unavailable.
  const transport = transportOf(error);
  const to = transport.address ?? server;
  const why = transport.code
    ? `${TRANSPORT_WORDS[transport.code] ?? (isCertificateCode(transport.code) ? 'TLS verification failed' : 'transport error')} (${transport.code})`
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : String(error);
  return new KubeError('Unavailable', `${what}: ${why}${to ? ` talking to the API server at ${to}` : ''}`, {
    cause: error,
    ...(transport.code ? { syscallCode: transport.code } : {}),
    ...(to !== undefined ? { server: to } : {}),
  });
}

const TRANSPORT_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EPIPE: 'connection closed',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS verification failed: the certificate does not name the server',
};

function isCertificateCode(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/.test(code);
}

/** The system code and address from the error or its cause chain (node-fetch, undici, net). */
function transportOf(error: unknown): { code?: string; address?: string } {
  let current: unknown = error;
  let code: string | undefined;
  let address: string | undefined;
  for (let i = 0; i < 6 && typeof current === 'object' && current !== null; i++) {
    const fields = current as { code?: unknown; address?: unknown; port?: unknown; cause?: unknown };
    if (code === undefined && typeof fields.code === 'string' && fields.code !== '') code = fields.code;
    if (address === undefined && typeof fields.address === 'string')
      address = typeof fields.port === 'number' ? `${fields.address}:${fields.port}` : fields.address;
    current = fields.cause;
  }
  return { ...(code !== undefined ? { code } : {}), ...(address !== undefined ? { address } : {}) };
}

function codeFor(status: number, reason: string | undefined): KubeErrorCode {
  if (status === 404) return 'NotFound';
  if (status === 409) return reason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict';
  if (status === 410) return 'Gone';
  if (status === 400 || status === 422) return 'Invalid';
  if (status === 401 || status === 403) return 'Forbidden';
  if (status === 429 || status >= 500) return 'Unavailable';
  return 'Unknown';
}

interface StatusBody {
  reason?: string;
  message?: string;
  details?: KubeStatusDetails;
}

/** The fields of a Kubernetes Status body we use (client-node gives it as a string or parsed). */
function statusBody(body: unknown): StatusBody | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { reason, message, details } = value as { reason?: unknown; message?: unknown; details?: unknown };
  return {
    ...(typeof reason === 'string' && reason !== '' ? { reason } : {}),
    ...(typeof message === 'string' && message !== '' ? { message } : {}),
    ...(typeof details === 'object' && details !== null ? { details: details as KubeStatusDetails } : {}),
  };
}
