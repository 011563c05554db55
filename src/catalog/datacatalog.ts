/**
 * A catalog backend that talks to Flyte's own datacatalog service over gRPC
 * (`datacatalog.DataCatalog`, flyteidl datacatalog.proto), with the calls FlytePropeller v1.16's
 * catalog client makes:
 * - lookup: `GetDataset` then `GetArtifact` by tag (NotFound on either = no entry);
 * - put: `CreateDataset` (AlreadyExists is fine), then `CreateArtifact` with a new id and `AddTag`
 *   (AlreadyExists: another writer's artifact keeps the tag); with overwrite `UpdateArtifact` by
 *   tag, falling back to create on NotFound;
 * - reservations: `GetOrExtendReservation` with the heartbeat interval (the server decides the
 *   expiry), `ReleaseReservation` (NotFound is fine).
 * Every call has a deadline; UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED and
 * INTERNAL are `CatalogError('Unavailable')` (ask again later), other codes `Rejected`.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as pb from '../generated/flyteidl/flyteidl/datacatalog/datacatalog.js';
import { Literal } from '../generated/flyteidl/flyteidl/core/literals.js';
import type { JsonValue } from '../api/schema.js';
import { createClient, deadlineIn, isServiceError, type ClientSecurityOptions } from '../security/grpc.js';
import { CatalogError } from './errors.js';
import type {
  ArtifactSource,
  CatalogBackend,
  CatalogKey,
  DatasetId,
  LiteralMapJson,
  ReservationState,
  StoredArtifact,
} from './model.js';

export interface DataCatalogOptions {
  /** `host:port` (or any grpc-js target, `dns:///host:port`). */
  readonly address: string;
  /** TLS (Flyte's `insecure: false`) and a bearer token; plaintext without `tls`. */
  readonly security?: ClientSecurityOptions;
  /** @defaultValue 10000 */
  readonly callTimeoutMs?: number;
}

const TRANSIENT = new Set<number>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.INTERNAL,
  grpc.status.CANCELLED,
]);

type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

export class DataCatalogBackend implements CatalogBackend {
  private readonly client: pb.DataCatalogClient;

  constructor(private readonly options: DataCatalogOptions) {
    this.client = createClient(pb.DataCatalogClient, options.address, options.security ?? {});
  }

  async getArtifact(key: CatalogKey, signal?: AbortSignal): Promise<StoredArtifact | undefined> {
    const dataset = datasetId(key.dataset);
    const found = await this.optional(() => this.call('GetDataset', this.client.getDataset, { dataset }, signal));
    if (!found) return undefined;
    const response = await this.optional(() =>
      this.call(
        'GetArtifact',
        this.client.getArtifact,
        { dataset, queryHandle: { $case: 'tagName', tagName: key.tag } },
        signal,
      ),
    );
    const artifact = response?.artifact;
    if (!artifact) return undefined;
    const data: Record<string, JsonValue> = {};
    for (const item of artifact.data) data[item.name] = (item.value ? Literal.toJSON(item.value) : {}) as JsonValue;
    const createdAt = artifact.createdAt ? timestampIso(artifact.createdAt) : undefined;
    return { id: artifact.id, data, ...(createdAt ? { createdAt } : {}) };
  }

  async putArtifact(
    key: CatalogKey,
    data: LiteralMapJson,
    options: { readonly overwrite: boolean; readonly source: ArtifactSource },
    signal?: AbortSignal,
  ): Promise<void> {
    const dataset = datasetId(key.dataset);
    const metadata: pb.Metadata = {
      keyMap: {
        'flotilla-execution': options.source.executionName,
        'flotilla-node': options.source.nodeId,
        'flotilla-attempt': String(options.source.attempt),
      },
    };
    await this.tolerate(grpc.status.ALREADY_EXISTS, () =>
      this.call(
        'CreateDataset',
        this.client.createDataset,
        { dataset: { id: dataset, metadata, partitionKeys: [] } },
        signal,
      ),
    );
    const artifactData: pb.ArtifactData[] = Object.entries(data).map(([name, value]) => ({
      name,
      value: Literal.fromJSON(value),
    }));
    if (options.overwrite) {
      const updated = await this.optional(() =>
        this.call(
          'UpdateArtifact',
          this.client.updateArtifact,
          { dataset, queryHandle: { $case: 'tagName', tagName: key.tag }, data: artifactData, metadata },
          signal,
        ),
      );
      if (updated) return;
    }
    const id = randomUUID();
    await this.call(
      'CreateArtifact',
      this.client.createArtifact,
      { artifact: { id, dataset, data: artifactData, metadata, partitions: [], tags: [], createdAt: undefined } },
      signal,
    );
    await this.tolerate(grpc.status.ALREADY_EXISTS, () =>
      this.call('AddTag', this.client.addTag, { tag: { name: key.tag, artifactId: id, dataset } }, signal),
    );
  }

  async getOrExtendReservation(
    key: CatalogKey,
    owner: string,
    heartbeatMs: number,
    signal?: AbortSignal,
  ): Promise<ReservationState> {
    const response = await this.call(
      'GetOrExtendReservation',
      this.client.getOrExtendReservation,
      {
        reservationId: { datasetId: datasetId(key.dataset), tagName: key.tag },
        ownerId: owner,
        heartbeatInterval: {
          seconds: String(Math.floor(heartbeatMs / 1000)),
          nanos: Math.round((heartbeatMs % 1000) * 1e6),
        },
      },
      signal,
    );
    const reservation = response.reservation;
    if (!reservation)
      throw new CatalogError('Rejected', `${this.options.address}: GetOrExtendReservation answered no reservation`);
    const expiresAt = reservation.expiresAt ? timestampIso(reservation.expiresAt) : undefined;
    return { owner: reservation.ownerId, ...(expiresAt ? { expiresAt } : {}) };
  }

  async releaseReservation(key: CatalogKey, owner: string, signal?: AbortSignal): Promise<void> {
    await this.tolerate(grpc.status.NOT_FOUND, () =>
      this.call(
        'ReleaseReservation',
        this.client.releaseReservation,
        { reservationId: { datasetId: datasetId(key.dataset), tagName: key.tag }, ownerId: owner },
        signal,
      ),
    );
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private call<Req, Res>(name: string, method: Unary<Req, Res>, request: Req, signal?: AbortSignal): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const call = method.call(
        this.client,
        request,
        new grpc.Metadata(),
        { deadline: deadlineIn(this.options.callTimeoutMs ?? 10_000) },
        (error, response) => {
          signal?.removeEventListener('abort', cancel);
          if (error) reject(this.wrap(name, error));
          else resolve(response);
        },
      );
      const cancel = (): void => call.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** `undefined` for NOT_FOUND, the response otherwise. */
  private async optional<T>(run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      if (codeOf(error) === grpc.status.NOT_FOUND) return undefined;
      throw error;
    }
  }

  private async tolerate(code: grpc.status, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (codeOf(error) !== code) throw error;
    }
  }

  private wrap(name: string, error: grpc.ServiceError): CatalogError {
    const code = TRANSIENT.has(error.code) ? 'Unavailable' : 'Rejected';
    const wrapped = new CatalogError(
      code,
      `datacatalog ${this.options.address}: ${name} failed: ${grpc.status[error.code] ?? error.code}: ${error.details}`,
      { cause: error },
    );
    return wrapped;
  }
}

function codeOf(error: unknown): number | undefined {
  if (error instanceof CatalogError && isServiceError(error.cause)) return error.cause.code;
  return isServiceError(error) ? error.code : undefined;
}

function datasetId(id: DatasetId): pb.DatasetID {
  return { project: id.project, domain: id.domain, name: id.name, version: id.version, UUID: '', org: '' };
}

function timestampIso(ts: { seconds: string; nanos: number }): string | undefined {
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}
