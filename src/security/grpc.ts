/**
 * Transport security for every flotilla gRPC server and client: TLS (and optionally mutual TLS)
 * from PEM text or files, a bearer token checked in constant time, message size limits, and a
 * deadline on every client call.
 *
 * Servers bind to 127.0.0.1 unless told otherwise. Nothing here logs: tokens and keys never
 * leave these functions except in credentials objects handed to grpc-js.
 */
import { readFileSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

/** Default limit for one message in either direction: 4 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Default per-call deadline for clients. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** TLS material for a server, PEM text. */
export interface ServerTlsOptions {
  readonly certPem: string;
  readonly keyPem: string;
  /** When set, clients must present a certificate signed by this CA (mutual TLS). */
  readonly clientCaPem?: string;
}

/** How a server authenticates callers. */
export interface ServerSecurityOptions {
  /** TLS; plaintext when absent (loopback development only). */
  readonly tls?: ServerTlsOptions;
  /** When set, every call must carry `authorization: Bearer <token>`; else UNAUTHENTICATED. */
  readonly token?: string;
  /** Max bytes of one message, received or sent. @defaultValue DEFAULT_MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
}

/** TLS material for a client, PEM text. */
export interface ClientTlsOptions {
  /** CA that signed the server's certificate. @defaultValue the system roots */
  readonly caPem?: string;
  /** Client certificate and key, for mutual TLS. */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** Overrides the name checked against the server certificate. */
  readonly serverName?: string;
}

/** How a client reaches and authenticates to a server. */
export interface ClientSecurityOptions {
  readonly tls?: ClientTlsOptions;
  /** Sent as `authorization: Bearer <token>` on every call. */
  readonly token?: string;
  /** @defaultValue DEFAULT_MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
}

/** Reads PEM from a file path, or returns the argument when it already is PEM text. */
export function readPem(fileOrPem: string): string {
  return fileOrPem.includes('-----BEGIN') ? fileOrPem : readFileSync(fileOrPem, 'utf8');
}

/** Reads a token file (first line, trimmed). Throws when it is empty. */
export function readTokenFile(path: string): string {
  const token = (readFileSync(path, 'utf8').split(/\r?\n/)[0] ?? '').trim();
  if (token === '') throw new Error(`token file ${path} is empty`);
  return token;
}

export function serverCredentials(tls?: ServerTlsOptions): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const clientCa = tls.clientCaPem ? Buffer.from(tls.clientCaPem) : null;
  return grpc.ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }],
    clientCa !== null,
  );
}

export function channelCredentials(tls?: ClientTlsOptions): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(
    tls.caPem ? Buffer.from(tls.caPem) : null,
    tls.keyPem ? Buffer.from(tls.keyPem) : null,
    tls.certPem ? Buffer.from(tls.certPem) : null,
  );
}

/** grpc-js server options with message size limits. */
export function serverOptions(security: ServerSecurityOptions = {}): grpc.ServerOptions {
  const max = security.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  return { 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max };
}

/** An interceptor adding the bearer token to every call's metadata (works on plaintext too,
 * where grpc-js refuses call credentials). */
function tokenInterceptor(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/** grpc-js client options: message size limits, TLS name override, token interceptor. */
export function clientOptions(security: ClientSecurityOptions = {}): grpc.ClientOptions {
  const max = security.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const options: grpc.ClientOptions = { 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max };
  if (security.tls?.serverName) options['grpc.ssl_target_name_override'] = security.tls.serverName;
  if (security.token) {
    protectSecretInGrpcLogs(security.token);
    options.interceptors = [tokenInterceptor(security.token)];
  }
  return options;
}

/** A generated client constructor (ts-proto `...Client`). */
export type ClientConstructor<C> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ClientOptions>,
) => C;

/** Creates a generated client with credentials and options from `security`. */
export function createClient<C>(Ctor: ClientConstructor<C>, address: string, security: ClientSecurityOptions = {}): C {
  return new Ctor(address, channelCredentials(security.tls), clientOptions(security));
}

/** A deadline `timeoutMs` from now. */
export function deadlineIn(timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS): Date {
  return new Date(Date.now() + timeoutMs);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

const secrets = new Set<string>();
let redactingLoggerInstalled = false;

/** Replaces registered secrets and any authorization value in a log line. */
export function redactSecrets(text: string): string {
  let out = text
    .replace(/(authorization["']?\s*[:=,]?\s*["']?)(Bearer\s+)?[^\s"',}]+/gi, '$1[REDACTED]')
    .replace(/Bearer\s+[^\s"',}]+/g, 'Bearer [REDACTED]');
  for (const secret of secrets) out = out.split(secret).join('[REDACTED]');
  return out;
}

/**
 * Routes grpc-js's own logging (enabled by operators with GRPC_VERBOSITY / GRPC_TRACE, which
 * prints call metadata) through `redactSecrets`, and remembers `secret` for redaction.
 * Called for every token a server or client in this process uses.
 */
export function protectSecretInGrpcLogs(secret: string): void {
  secrets.add(secret);
  if (redactingLoggerInstalled) return;
  redactingLoggerInstalled = true;
  grpc.setLogger({
    error: (...args: unknown[]) => {
      process.stderr.write(`${redactSecrets(args.map((a) => (typeof a === 'string' ? a : String(a))).join(' '))}\n`);
    },
  });
}

/** Constant-time check of an `authorization` metadata value against the expected token. */
export function tokenMatches(metadata: grpc.Metadata, expected: string): boolean {
  const values = metadata.get('authorization');
  const header = values.length === 1 && typeof values[0] === 'string' ? values[0] : '';
  const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  // Compare digests so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(digest(presented), digest(expected)) && presented.length > 0;
}

const unauthenticated: Partial<grpc.StatusObject> = {
  code: grpc.status.UNAUTHENTICATED,
  details: 'missing or invalid bearer token',
};

/**
 * Wraps a service implementation so every method first checks the bearer token. Unary and
 * server-streaming methods are supported (the ones flotilla's services use).
 */
export function requireToken(
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
  token: string | undefined,
): grpc.UntypedServiceImplementation {
  if (!token) return implementation;
  const wrapped: grpc.UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(definition)) {
    const handler = implementation[key];
    if (!handler) continue;
    if (method.requestStream) throw new Error(`requireToken: client-streaming method ${method.path} is not supported`);
    if (method.responseStream) {
      const streaming = handler as grpc.handleServerStreamingCall<unknown, unknown>;
      wrapped[key] = ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (!tokenMatches(call.metadata, token)) {
          call.emit('error', unauthenticated);
          return;
        }
        streaming(call);
      }) as grpc.handleServerStreamingCall<unknown, unknown>;
    } else {
      const unary = handler as grpc.handleUnaryCall<unknown, unknown>;
      wrapped[key] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (!tokenMatches(call.metadata, token)) {
          callback(unauthenticated, null);
          return;
        }
        unary(call, callback);
      }) as grpc.handleUnaryCall<unknown, unknown>;
    }
  }
  return wrapped;
}

/** One service to serve. */
export interface ServiceRegistration {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

export interface StartServerOptions {
  readonly services: readonly ServiceRegistration[];
  /** @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  readonly port?: number;
  readonly security?: ServerSecurityOptions;
}

/** A running gRPC server. */
export interface RunningServer {
  readonly server: grpc.Server;
  readonly port: number;
  /** `host:port`, for clients. */
  readonly address: string;
  /** Graceful shutdown, forced after `graceMs` (default 2 s). */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a gRPC server with the given services, security and limits. */
export async function startGrpcServer(options: StartServerOptions): Promise<RunningServer> {
  const security = options.security ?? {};
  if (security.token) protectSecretInGrpcLogs(security.token);
  const server = new grpc.Server(serverOptions(security));
  for (const service of options.services) {
    server.addService(service.definition, requireToken(service.definition, service.implementation, security.token));
  }
  const host = options.host ?? '127.0.0.1';
  const bindHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bindHost}:${options.port ?? 0}`, serverCredentials(security.tls), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  let stopped: Promise<void> | undefined;
  return {
    server,
    port,
    address: `${bindHost}:${port}`,
    stop(graceMs = 2_000) {
      stopped ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return stopped;
    },
  };
}

/** True when `error` is a gRPC status error (a `ServiceError`). */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number' && 'metadata' in error
  );
}
