/**
 * A small datacatalog service for tests: a real gRPC server speaking `datacatalog.DataCatalog`
 * (flyteidl), in memory, with the semantics Flyte's datacatalog documents: datasets unique by id,
 * artifacts holding literal data, tags unique within a dataset (AddTag on an existing tag is
 * ALREADY_EXISTS), UpdateArtifact by tag, reservations that expire `heartbeat × 3` after the last
 * GetOrExtendReservation of their owner. It records every call by method name so a test can
 * check what a client asked, in order.
 */
import * as grpc from '@grpc/grpc-js';
import * as pb from '../../src/generated/flyteidl/flyteidl/datacatalog/datacatalog.js';
import { startGrpcServer, type RunningServer } from '../../src/security/grpc.js';

type Handler<Req, Res> = grpc.handleUnaryCall<Req, Res>;

export class TestDataCatalog {
  readonly calls: string[] = [];
  readonly datasets = new Map<string, pb.Dataset>();
  readonly artifacts = new Map<string, pb.Artifact>();
  /** `<dataset>/<tag>` → artifact id. */
  readonly tags = new Map<string, string>();
  readonly reservations = new Map<
    string,
    { owner: string; expiresAtMs: number; heartbeat: pb.Reservation['heartbeatInterval'] }
  >();
  /** When set, every call fails with this code. */
  failWith: grpc.status | undefined;
  private server: RunningServer | undefined;

  constructor(private readonly clock: () => number = Date.now) {}

  get address(): string {
    if (!this.server) throw new Error('not started');
    return this.server.address;
  }

  async start(): Promise<this> {
    const handlers: pb.DataCatalogServer = {
      createDataset: this.unary('CreateDataset', (req: pb.CreateDatasetRequest) => {
        const id = key(req.dataset?.id);
        if (this.datasets.has(id)) throw status(grpc.status.ALREADY_EXISTS, `dataset ${id} exists`);
        if (req.dataset) this.datasets.set(id, req.dataset);
        return {};
      }),
      getDataset: this.unary('GetDataset', (req: pb.GetDatasetRequest) => {
        const dataset = this.datasets.get(key(req.dataset));
        if (!dataset) throw status(grpc.status.NOT_FOUND, `dataset ${key(req.dataset)} not found`);
        return { dataset };
      }),
      createArtifact: this.unary('CreateArtifact', (req: pb.CreateArtifactRequest) => {
        const artifact = req.artifact;
        if (!artifact?.id) throw status(grpc.status.INVALID_ARGUMENT, 'artifact id is required');
        if (!this.datasets.has(key(artifact.dataset))) throw status(grpc.status.NOT_FOUND, 'dataset not found');
        if (this.artifacts.has(artifact.id)) throw status(grpc.status.ALREADY_EXISTS, `artifact ${artifact.id} exists`);
        this.artifacts.set(artifact.id, { ...artifact, createdAt: timestamp(this.clock()) });
        return {};
      }),
      getArtifact: this.unary('GetArtifact', (req: pb.GetArtifactRequest) => {
        const handle = req.queryHandle;
        const id =
          handle?.$case === 'tagName' ? this.tags.get(`${key(req.dataset)}/${handle.tagName}`) : handle?.artifactId;
        const artifact = id !== undefined ? this.artifacts.get(id) : undefined;
        if (!artifact) throw status(grpc.status.NOT_FOUND, 'artifact not found');
        return { artifact };
      }),
      addTag: this.unary('AddTag', (req: pb.AddTagRequest) => {
        const tag = `${key(req.tag?.dataset)}/${req.tag?.name ?? ''}`;
        if (this.tags.has(tag)) throw status(grpc.status.ALREADY_EXISTS, `tag ${tag} exists`);
        this.tags.set(tag, req.tag?.artifactId ?? '');
        return {};
      }),
      listArtifacts: this.unary('ListArtifacts', () => {
        throw status(grpc.status.UNIMPLEMENTED, 'not in this test server');
      }),
      listDatasets: this.unary('ListDatasets', () => {
        throw status(grpc.status.UNIMPLEMENTED, 'not in this test server');
      }),
      updateArtifact: this.unary('UpdateArtifact', (req: pb.UpdateArtifactRequest) => {
        const handle = req.queryHandle;
        const id =
          handle?.$case === 'tagName' ? this.tags.get(`${key(req.dataset)}/${handle.tagName}`) : handle?.artifactId;
        const artifact = id !== undefined ? this.artifacts.get(id) : undefined;
        if (!artifact || id === undefined) throw status(grpc.status.NOT_FOUND, 'artifact not found');
        this.artifacts.set(id, { ...artifact, data: req.data, createdAt: timestamp(this.clock()) });
        return { artifactId: id };
      }),
      getOrExtendReservation: this.unary('GetOrExtendReservation', (req: pb.GetOrExtendReservationRequest) => {
        const id = `${key(req.reservationId?.datasetId)}/${req.reservationId?.tagName ?? ''}`;
        const now = this.clock();
        const held = this.reservations.get(id);
        const heartbeatMs =
          Number(req.heartbeatInterval?.seconds ?? 0) * 1000 + (req.heartbeatInterval?.nanos ?? 0) / 1e6;
        if (!held || held.owner === req.ownerId || held.expiresAtMs <= now) {
          this.reservations.set(id, {
            owner: req.ownerId,
            expiresAtMs: now + heartbeatMs * 3,
            heartbeat: req.heartbeatInterval,
          });
        }
        const current = this.reservations.get(id);
        return {
          reservation: {
            reservationId: req.reservationId,
            ownerId: current?.owner ?? '',
            heartbeatInterval: current?.heartbeat,
            expiresAt: timestamp(current?.expiresAtMs ?? now),
            metadata: undefined,
          },
        };
      }),
      releaseReservation: this.unary('ReleaseReservation', (req: pb.ReleaseReservationRequest) => {
        const id = `${key(req.reservationId?.datasetId)}/${req.reservationId?.tagName ?? ''}`;
        if (this.reservations.get(id)?.owner === req.ownerId) this.reservations.delete(id);
        return {};
      }),
    };
    this.server = await startGrpcServer({
      services: [{ definition: pb.DataCatalogService, implementation: handlers }],
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.stop(500);
  }

  private unary<Req, Res>(name: string, run: (request: Req) => Res): Handler<Req, Res> {
    return (call, callback) => {
      this.calls.push(name);
      if (this.failWith !== undefined) {
        callback(status(this.failWith, 'injected failure'), null);
        return;
      }
      try {
        callback(null, run(call.request));
      } catch (error) {
        callback(error as grpc.ServiceError, null);
      }
    };
  }
}

function key(id: pb.DatasetID | undefined): string {
  return id ? `${id.project}/${id.domain}/${id.name}/${id.version}` : '';
}

function status(code: grpc.status, details: string): Partial<grpc.ServiceError> {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

function timestamp(ms: number): { seconds: string; nanos: number } {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}
