/**
 * The s3:// backend, through @aws-sdk/client-s3: AWS S3 or any S3-compatible server (MinIO, Ceph,
 * s3rver) given by `endpoint`. Credentials come from the SDK's standard chain (environment,
 * shared config and credentials files, SSO, web identity, container and instance metadata) unless
 * given explicitly. Objects may live in any bucket the credentials reach; `baseUri` only says where
 * `join` starts. Every object is read and written whole (one GetObject / PutObject).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  defaultListPageSize,
  defaultMaxObjectBytes,
  type BlobInfo,
  type BlobStore,
  type BlobStoreCommonOptions,
  type GetOptions,
  type ListOptions,
  type PutOptions,
} from './blob-store.js';
import { StorageError } from './errors.js';
import { toStorageError } from './s3-errors.js';
import { joinBlobUri, parseBlobUri, requireObjectUri } from './uri.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3BlobStoreOptions extends BlobStoreCommonOptions {
  /**
   * The S3 API endpoint, e.g. `http://127.0.0.1:9000` for a local server.
   * @defaultValue `$AWS_ENDPOINT_URL_S3`, else `$AWS_ENDPOINT_URL`, else AWS's endpoint for `region`
   */
  endpoint?: string;
  /** @defaultValue `$AWS_REGION`, else `$AWS_DEFAULT_REGION`, else 'us-east-1' */
  region?: string;
  /**
   * Address buckets as `endpoint/bucket/key` rather than `bucket.endpoint/key`; most
   * S3-compatible servers need it.
   * @defaultValue true when an endpoint is set, false for AWS
   */
  forcePathStyle?: boolean;
  /** Explicit credentials. @defaultValue the SDK's standard credential chain */
  credentials?: S3Credentials;
  /** Attempts per request, the first included; the SDK backs off between them. @defaultValue 3 */
  maxAttempts?: number;
  /** Time allowed to establish a connection, in milliseconds. @defaultValue 5000 */
  connectionTimeoutMs?: number;
  /** Time allowed for one request and its response, in milliseconds. @defaultValue 60000 */
  requestTimeoutMs?: number;
  /**
   * When the SDK adds a CRC checksum to uploads. Some S3-compatible servers reject the newer
   * checksum headers: use 'WHEN_REQUIRED' for them.
   * @defaultValue 'WHEN_SUPPORTED' (the SDK's default)
   */
  requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  /** When the SDK validates checksums of downloads. @defaultValue 'WHEN_SUPPORTED' (the SDK's default) */
  responseChecksumValidation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
}

export class S3BlobStore implements BlobStore {
  readonly baseUri: string;
  /** host:port of the endpoint, for messages. */
  readonly endpointLabel: string;
  private readonly client: S3Client;
  private readonly maxObjectBytes: number;
  private readonly listPageSize: number;

  /** Opens a store at `baseUri` (`s3://bucket` or `s3://bucket/prefix`). No request is made yet. */
  constructor(baseUri: string, options: S3BlobStoreOptions = {}) {
    const base = parseBlobUri(baseUri);
    if (base.scheme !== 's3')
      throw new StorageError('InvalidUri', `invalid blob URI '${baseUri}': not an s3:// URI`, { uri: baseUri });
    this.baseUri = base.key === '' ? `s3://${base.bucket}` : `s3://${base.bucket}/${base.key}`;
    this.maxObjectBytes = options.maxObjectBytes ?? defaultMaxObjectBytes;
    this.listPageSize = options.listPageSize ?? defaultListPageSize;
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    this.endpointLabel = endpointLabel(endpoint, region, baseUri);
    const config: S3ClientConfig = {
      region,
      forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? 5_000,
        requestTimeout: options.requestTimeoutMs ?? 60_000,
        throwOnRequestTimeout: true,
      },
      requestChecksumCalculation: options.requestChecksumCalculation ?? 'WHEN_SUPPORTED',
      responseChecksumValidation: options.responseChecksumValidation ?? 'WHEN_SUPPORTED',
    };
    if (endpoint !== undefined) config.endpoint = endpoint;
    if (options.credentials) config.credentials = { ...options.credentials };
    this.client = new S3Client(config);
  }

  join(...parts: string[]): string {
    return joinBlobUri(this.baseUri, ...parts);
  }

  async get(uri: string, options: GetOptions = {}): Promise<Uint8Array> {
    const { bucket, key } = this.object(uri);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: options.signal,
      });
      if (out.ContentLength !== undefined && out.ContentLength > this.maxObjectBytes) {
        destroy(out.Body);
        throw new StorageError(
          'TooLarge',
          `${uri}: ${out.ContentLength} bytes is over the limit of ${this.maxObjectBytes} bytes`,
          { uri },
        );
      }
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw toStorageError(error, `read ${uri}`, { uri, endpoint: this.endpointLabel });
    }
  }

  async head(uri: string): Promise<BlobInfo | undefined> {
    const { bucket, key } = this.object(uri);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const info: BlobInfo = { uri, size: out.ContentLength ?? 0 };
      if (out.LastModified) info.lastModified = out.LastModified;
      if (out.ContentType) info.contentType = out.ContentType;
      return info;
    } catch (error) {
      const mapped = toStorageError(error, `stat ${uri}`, { uri, endpoint: this.endpointLabel });
      // HEAD has no body, so a missing key and a missing bucket look alike (404): both mean "no object".
      if (mapped.code === 'NotFound') return undefined;
      throw mapped;
    }
  }

  async exists(uri: string): Promise<boolean> {
    return (await this.head(uri)) !== undefined;
  }

  async put(uri: string, bytes: Uint8Array, options: PutOptions = {}): Promise<void> {
    const { bucket, key } = this.object(uri);
    if (bytes.byteLength > this.maxObjectBytes) {
      throw new StorageError(
        'TooLarge',
        `${uri}: ${bytes.byteLength} bytes is over the limit of ${this.maxObjectBytes} bytes`,
        { uri },
      );
    }
    const command = new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: bytes,
      ContentLength: bytes.byteLength,
      ContentType: options.contentType ?? 'application/octet-stream',
    });
    try {
      await this.client.send(command, { abortSignal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw toStorageError(error, `write ${uri}`, { uri, endpoint: this.endpointLabel });
    }
  }

  async delete(uri: string): Promise<void> {
    const { bucket, key } = this.object(uri);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      const mapped = toStorageError(error, `delete ${uri}`, { uri, endpoint: this.endpointLabel });
      // S3 answers 204 for a missing key; a server that answers NoSuchKey means the same.
      if (mapped.code === 'NotFound' && errorName(error) === 'NoSuchKey') return;
      throw mapped;
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<BlobInfo> {
    const parsed = parseBlobUri(prefix);
    if (parsed.scheme !== 's3')
      throw new StorageError('InvalidUri', `invalid blob URI '${prefix}': not an s3:// URI`, { uri: prefix });
    const keyPrefix = parsed.key === '' ? undefined : parsed.key + (parsed.trailingSlash ? '/' : '');
    const pageSize = options.pageSize ?? this.listPageSize;
    let token: string | undefined;
    do {
      options.signal?.throwIfAborted();
      let page;
      try {
        const command = new ListObjectsV2Command({
          Bucket: parsed.bucket,
          Prefix: keyPrefix,
          MaxKeys: pageSize,
          ContinuationToken: token,
        });
        page = await this.client.send(command, { abortSignal: options.signal });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw toStorageError(error, `list ${prefix}`, { uri: prefix, endpoint: this.endpointLabel });
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        const info: BlobInfo = { uri: `s3://${parsed.bucket}/${object.Key}`, size: object.Size ?? 0 };
        if (object.LastModified) info.lastModified = object.LastModified;
        yield info;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private object(uri: string): { bucket: string; key: string } {
    const parsed = requireObjectUri(uri);
    if (parsed.scheme !== 's3')
      throw new StorageError(
        'InvalidUri',
        `invalid blob URI '${uri}': not an s3:// URI (this store is ${this.baseUri})`,
        { uri },
      );
    return { bucket: parsed.bucket, key: parsed.key };
  }
}

/** host:port of the endpoint (or of AWS's regional endpoint), for messages. */
function endpointLabel(endpoint: string | undefined, region: string, baseUri: string): string {
  if (endpoint === undefined) return `s3.${region}.amazonaws.com:443`;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw new StorageError('InvalidUri', `invalid S3 endpoint '${endpoint}' for ${baseUri}: not a URL`, {
      cause: error,
      uri: baseUri,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StorageError(
      'InvalidUri',
      `invalid S3 endpoint '${endpoint}' for ${baseUri}: expected http:// or https://`,
      { uri: baseUri },
    );
  }
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Drops an unread response body so its connection is released. */
function destroy(body: unknown): void {
  if (typeof body === 'object' && body !== null && 'destroy' in body && typeof body.destroy === 'function')
    body.destroy();
}
