/**
 * A real S3-compatible server for tests: s3rver (npm), in a child process on a free loopback port,
 * storing into its own temporary directory, with the buckets asked for already created. Started by
 * `startS3Server()` (any test may reuse it), stopped by `stop()`; it also exits when its parent does.
 *
 * Two things about s3rver 3.7 that this file works around or states:
 * - Its list continuation tokens use DES, which Node 17+ (OpenSSL 3) refuses unless the legacy
 *   provider is on: the child runs with `--openssl-legacy-provider`, so the tests' own process
 *   stays as it is.
 * - It checks that the access key id exists but does not verify SigV4 signatures. The child verifies
 *   them in front of it (header-signed requests, as the SDK sends them; the payload hash is taken
 *   from `x-amz-content-sha256` as sent), so a wrong secret gets 403 SignatureDoesNotMatch as on AWS.
 * - It lists a "directory" before a sibling key that sorts before '/' (`a/b` before `a.txt`);
 *   AWS lists in UTF-8 byte order (`a.txt` first). Tests that depend on that order say so.
 *
 * Run as a script (`node --import tsx test/support/s3.ts <dir> <bucket>...`) this file is the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import S3rver from 's3rver';

/** The key pair s3rver knows (it has one built-in account). */
const accessKeyId = 'S3RVER';
const secretAccessKey = 'S3RVER';

export interface S3TestServerOptions {
  /** Buckets created before the server answers. @defaultValue ['flotilla-test'] */
  buckets?: string[];
  /** Verify SigV4 signatures (refuse a wrong secret). @defaultValue true */
  verifySignatures?: boolean;
  /** Longest wait for the server to answer, in milliseconds. @defaultValue 20000 */
  startTimeoutMs?: number;
}

export interface S3TestServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  region: string;
  /** The first bucket. */
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

export async function startS3Server(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const buckets = options.buckets ?? ['flotilla-test'];
  const first = buckets[0];
  if (first === undefined) throw new Error('startS3Server: give at least one bucket');
  const directory = mkdtempSync(join(tmpdir(), 'flotilla-s3-'));
  const args = [
    '--openssl-legacy-provider',
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    directory,
    String(options.verifySignatures ?? true),
    ...buckets,
  ];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let port: number;
  try {
    port = await readPort(child, options.startTimeoutMs ?? 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    region: 'us-east-1',
    bucket: first,
    credentials: { accessKeyId, secretAccessKey },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** The child's first stdout line is `{"port":N}` once it listens. */
async function readPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  if (!child.stdout) throw new Error('s3 test server: no stdout');
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    for await (const line of lines) {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null && 'port' in parsed && typeof parsed.port === 'number')
        return parsed.port;
    }
  } finally {
    clearTimeout(timer);
    lines.close();
  }
  throw new Error(`s3 test server exited before listening (exit ${child.exitCode ?? child.signalCode})`);
}

/** The child: s3rver behind a signature check, on 127.0.0.1, port chosen by the OS. */
async function serve(directory: string, verify: boolean, buckets: string[]): Promise<void> {
  const s3rver = new S3rver({
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const server = createServer((req, res) => {
    if (verify && !signatureMatches(req)) return refuse(res);
    handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const stop = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  // The parent gone (its end of our stdin closed): go too.
  process.stdin.on('end', stop).resume();
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
}

function refuse(res: ServerResponse): void {
  res.writeHead(403, { 'content-type': 'application/xml' });
  res.end(
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>',
  );
}

/**
 * Recomputes an `AWS4-HMAC-SHA256` Authorization header's signature. Requests without one (anonymous
 * or query-signed) are left to s3rver. S3 signs the path as sent, without encoding it again.
 */
function signatureMatches(req: IncomingMessage): boolean {
  const authorization = req.headers.authorization;
  if (authorization === undefined) return true;
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(
      authorization,
    );
  if (!match) return false;
  const [, keyId = '', day = '', region = '', service = '', signedHeaders = '', signature = ''] = match;
  if (keyId !== accessKeyId) return false;
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? compare(av, bv) : compare(a, b)))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerNames = signedHeaders.split(';');
  const headers = headerNames.map((name) => `${name}:${headerValue(req, name)}\n`).join('');
  const payloadHash = headerValue(req, 'x-amz-content-sha256') || 'UNSIGNED-PAYLOAD';
  const canonical = [req.method ?? 'GET', url.pathname, query, headers, signedHeaders, payloadHash].join('\n');
  const amzDate = headerValue(req, 'x-amz-date');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`);
  for (const part of [day, region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex') === signature;
}

function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text.trim().replace(/\s+/g, ' ');
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [directory = '', verify = 'true', ...buckets] = process.argv.slice(2);
  serve(directory, verify === 'true', buckets).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
