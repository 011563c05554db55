/**
 * A TCP proxy on loopback whose link a test can cut and restore, to put one process (a replica)
 * behind a network fault of one dependency (the API server, Redis) while everything else stays.
 *
 * A cut behaves as a partition does, not as a refused connection: open connections go silent
 * (bytes in either direction are dropped, no reset) and new connections are accepted but never
 * connected through. A restore resets what the cut held (as the peers' TCP timeouts eventually
 * would) and forwards new connections again.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class TcpProxy {
  private cutOff = false;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket | undefined }>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 (a free port) and forwards to `targetHost:targetPort`. */
  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const ready: { proxy?: TcpProxy } = {};
    const server = createServer((client) => ready.proxy?.accept(client, targetHost, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    ready.proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    return ready.proxy;
  }

  get isCut(): boolean {
    return this.cutOff;
  }

  /** Every connection goes silent; new ones hang. */
  cut(): void {
    this.cutOff = true;
    for (const pair of this.pairs) {
      pair.client.unpipe();
      pair.upstream?.unpipe();
      // Bytes keep arriving and are dropped, as a partitioned link drops them.
      pair.client.removeAllListeners('data').on('data', () => undefined);
      pair.upstream?.removeAllListeners('data').on('data', () => undefined);
    }
  }

  /** Resets the connections the cut held; new connections are forwarded again. */
  restore(): void {
    this.cutOff = false;
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    this.pairs.clear();
  }

  async stop(): Promise<void> {
    this.restore();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    const pair: { client: Socket; upstream: Socket | undefined } = { client, upstream: undefined };
    this.pairs.add(pair);
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', drop).on('close', drop);
    if (this.cutOff) {
      client.on('data', () => undefined);
      return;
    }
    const upstream = createConnection({ host, port });
    pair.upstream = upstream;
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
