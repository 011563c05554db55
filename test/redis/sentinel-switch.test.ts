/**
 * A `+switch-master` announced while a Sentinel client is reconnecting must not end the client.
 *
 * ioredis 5's failover detector disconnects the connector on `+switch-master`; if that lands while
 * a reconnect is asking a sentinel for the master, the reconnect fails with "Connection is closed."
 * and the client ends for good (the fault suite's Sentinel master kill saw a shard's enqueues fail
 * for ever). The timing is forced here with a small sentinel stand-in on loopback: it answers
 * `SENTINEL get-master-addr-by-name` with a real redis-server (slowly, on demand) and publishes
 * `+switch-master` to its subscribers when told. The client is built by `createRedisClient`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisClient, parseRedisConfig } from '../../src/redis/index.js';
import { freePorts, RedisProcess } from '../support/redis-process.js';
import { waitFor } from '../support/wait.js';

/** RESP arrays of bulk strings, as clients send commands; returns the commands and the unread rest. */
function parseCommands(buffer: string): { commands: string[][]; rest: string } {
  const commands: string[][] = [];
  let at = 0;
  for (;;) {
    const header = /^\*(\d+)\r\n/.exec(buffer.slice(at));
    if (!header) break;
    let pos = at + header[0].length;
    const parts: string[] = [];
    let complete = true;
    for (let i = 0; i < Number(header[1]); i++) {
      const len = /^\$(\d+)\r\n/.exec(buffer.slice(pos));
      if (!len || buffer.length < pos + len[0].length + Number(len[1]) + 2) {
        complete = false;
        break;
      }
      pos += len[0].length;
      parts.push(buffer.slice(pos, pos + Number(len[1])));
      pos += Number(len[1]) + 2;
    }
    if (!complete) break;
    commands.push(parts);
    at = pos;
  }
  return { commands, rest: buffer.slice(at) };
}

const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const array = (items: string[]) => `*${items.length}\r\n${items.map(bulk).join('')}`;

/** A sentinel stand-in: names `masterPort`, delays its answers by `delayMs`, publishes on demand. */
class FakeSentinel {
  readonly subscribers = new Set<Socket>();
  delayMs = 0;
  asked = 0;
  private server: Server | undefined;
  constructor(private readonly masterPort: number) {}

  async listen(port: number): Promise<void> {
    this.server = createServer((socket) => {
      let buffer = '';
      socket.on('error', () => undefined);
      socket.on('close', () => this.subscribers.delete(socket));
      socket.on('data', (data) => {
        const parsed = parseCommands(buffer + data.toString());
        buffer = parsed.rest;
        for (const command of parsed.commands) this.answer(socket, command);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
  }

  private answer(socket: Socket, command: string[]): void {
    const name = command.map((c) => c.toLowerCase());
    if (name[0] === 'subscribe') {
      this.subscribers.add(socket);
      socket.write(`*3\r\n${bulk('subscribe')}${bulk(command[1] ?? '')}:1\r\n`);
    } else if (name[0] === 'sentinel' && name[1] === 'get-master-addr-by-name') {
      this.asked += 1;
      setTimeout(() => socket.write(array(['127.0.0.1', String(this.masterPort)])), this.delayMs);
    } else if (name[0] === 'sentinel' && name[1] === 'sentinels') {
      socket.write('*0\r\n');
    } else {
      socket.write('+OK\r\n');
    }
  }

  publishSwitch(): void {
    const message = `mymaster 127.0.0.1 ${this.masterPort} 127.0.0.1 ${this.masterPort}`;
    for (const socket of this.subscribers) socket.write(array(['message', '+switch-master', message]));
  }

  async close(): Promise<void> {
    for (const socket of this.subscribers) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('a Sentinel client and +switch-master', { timeout: 60_000 }, () => {
  let dir: string;
  let server: RedisProcess;
  let sentinel: FakeSentinel;
  let sentinelPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sentinel-switch-'));
    const [redisPort = 0, port = 0] = await freePorts(2);
    sentinelPort = port;
    server = new RedisProcess(redisPort, 'redis-server', [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    await server.start();
    sentinel = new FakeSentinel(redisPort);
    await sentinel.listen(sentinelPort);
  });
  after(async () => {
    await sentinel?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('announced while the client asks a sentinel for the master: the client reconnects and serves commands', async () => {
    const client = createRedisClient(parseRedisConfig(`redis+sentinel://127.0.0.1:${sentinelPort}/mymaster`), {
      maxRetriesPerRequest: 20,
    });
    client.on('error', () => undefined);
    try {
      assert.equal(await client.ping(), 'PONG');
      // The connection drops (a master's death); the reconnect asks the sentinel, which answers
      // late, and the failover is announced in between.
      sentinel.delayMs = 1500;
      const asked = sentinel.asked;
      await server.kill();
      await server.start();
      await waitFor(() => sentinel.asked > asked, { what: 'the reconnect to ask the sentinel', timeoutMs: 10_000 });
      sentinel.publishSwitch();
      sentinel.delayMs = 0;
      await waitFor(() => client.status === 'ready' || client.status === 'end', {
        what: 'the client to reconnect or end',
        timeoutMs: 15_000,
      });
      assert.equal(client.status, 'ready', 'the client did not end');
      assert.equal(await client.set('after-switch', '1'), 'OK');
    } finally {
      client.disconnect();
    }
  });
});
