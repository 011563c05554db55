/**
 * Transport security of the gRPC servers, over real TLS on loopback: TLS and mutual TLS
 * handshakes succeed with the right certificates and fail with the wrong ones, the bearer token
 * is enforced, message size limits hold, and no token or key ever appears in the logs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { createCertificateAuthority, issueCertificate, type CertificatePair } from '../../src/security/certs.js';
import { startEventSink, type RunningEventSink } from '../../src/events/sink/index.js';
import { EventPublisher, createEventSinkClient, recordEvents, watchEvents } from '../../src/events/client.js';
import type { ClientSecurityOptions } from '../../src/security/grpc.js';
import { runEvents } from './events-fixtures.js';

const quiet = pino({ level: 'silent' });

interface Pki {
  ca: CertificatePair;
  server: CertificatePair;
  client: CertificatePair;
  otherCa: CertificatePair;
  otherServer: CertificatePair;
  otherClient: CertificatePair;
}

async function makePki(): Promise<Pki> {
  const ca = await createCertificateAuthority({ commonName: 'flotilla-test-ca' });
  const otherCa = await createCertificateAuthority({ commonName: 'intruder-ca' });
  const serverName = {
    commonName: 'event-sink',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server' as const,
  };
  return {
    ca,
    otherCa,
    server: await issueCertificate(ca, serverName),
    client: await issueCertificate(ca, { commonName: 'replica-0', usage: 'client' }),
    otherServer: await issueCertificate(otherCa, serverName),
    otherClient: await issueCertificate(otherCa, { commonName: 'intruder', usage: 'client' }),
  };
}

async function tryRecord(address: string, security: ClientSecurityOptions): Promise<number> {
  const client = createEventSinkClient(address, security);
  try {
    await recordEvents(client, runEvents('tls', ['a']).slice(0, 1), 3_000);
    return grpc.status.OK;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  } finally {
    client.close();
  }
}

describe('TLS and mutual TLS', () => {
  let pki: Pki;
  let tlsSink: RunningEventSink;
  let mtlsSink: RunningEventSink;
  let wrongCertSink: RunningEventSink;
  before(async () => {
    pki = await makePki();
    tlsSink = await startEventSink({
      store: { kind: 'memory' },
      logger: quiet,
      security: { tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem } },
    });
    mtlsSink = await startEventSink({
      store: { kind: 'memory' },
      logger: quiet,
      security: { tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCaPem: pki.ca.certPem } },
    });
    wrongCertSink = await startEventSink({
      store: { kind: 'memory' },
      logger: quiet,
      security: { tls: { certPem: pki.otherServer.certPem, keyPem: pki.otherServer.keyPem } },
    });
  });
  after(async () => {
    await Promise.all([tlsSink?.stop(), mtlsSink?.stop(), wrongCertSink?.stop()]);
  });

  test('TLS: the right CA connects; a wrong CA, a server with a foreign certificate, and plaintext fail', async () => {
    assert.equal(await tryRecord(tlsSink.address, { tls: { caPem: pki.ca.certPem } }), grpc.status.OK);
    assert.equal(
      await tryRecord(`localhost:${tlsSink.port}`, { tls: { caPem: pki.ca.certPem } }),
      grpc.status.OK,
      'DNS SAN accepted',
    );
    assert.equal(await tryRecord(tlsSink.address, { tls: { caPem: pki.otherCa.certPem } }), grpc.status.UNAVAILABLE);
    assert.equal(await tryRecord(wrongCertSink.address, { tls: { caPem: pki.ca.certPem } }), grpc.status.UNAVAILABLE);
    assert.equal(
      await tryRecord(tlsSink.address, {}),
      grpc.status.UNAVAILABLE,
      'a plaintext client cannot talk to a TLS server',
    );
  });

  test('mutual TLS: a client certificate from the CA connects; none or a foreign one fails', async () => {
    assert.equal(
      await tryRecord(mtlsSink.address, {
        tls: { caPem: pki.ca.certPem, certPem: pki.client.certPem, keyPem: pki.client.keyPem },
      }),
      grpc.status.OK,
    );
    assert.equal(await tryRecord(mtlsSink.address, { tls: { caPem: pki.ca.certPem } }), grpc.status.UNAVAILABLE);
    assert.equal(
      await tryRecord(mtlsSink.address, {
        tls: { caPem: pki.ca.certPem, certPem: pki.otherClient.certPem, keyPem: pki.otherClient.keyPem },
      }),
      grpc.status.UNAVAILABLE,
    );
  });
});

describe('bearer token and limits', () => {
  const token = 'tok-3f9a1c0e5b7d2468ace0';
  let sink: RunningEventSink;
  before(async () => {
    sink = await startEventSink({
      store: { kind: 'memory' },
      logger: quiet,
      security: { token, maxMessageBytes: 16 * 1024 },
    });
  });
  after(async () => {
    await sink?.stop();
  });

  test('calls without the token, or with a wrong one, are UNAUTHENTICATED; Watch too', async () => {
    assert.equal(await tryRecord(sink.address, {}), grpc.status.UNAUTHENTICATED);
    assert.equal(await tryRecord(sink.address, { token: 'tok-wrong' }), grpc.status.UNAUTHENTICATED);
    assert.equal(await tryRecord(sink.address, { token: `${token}x` }), grpc.status.UNAUTHENTICATED);
    assert.equal(await tryRecord(sink.address, { token }), grpc.status.OK);
    const client = createEventSinkClient(sink.address, { token: 'tok-wrong' });
    const abort = new AbortController();
    try {
      await assert.rejects(
        (async () => {
          for await (const _ of watchEvents(client, { from: 'beginning', signal: abort.signal })) break;
        })(),
        (e: { code?: number }) => e.code === grpc.status.UNAUTHENTICATED,
      );
    } finally {
      abort.abort();
      client.close();
    }
  });

  test('a message over the size limit is refused with RESOURCE_EXHAUSTED', async () => {
    const client = createEventSinkClient(sink.address, { token });
    try {
      const [event] = runEvents('huge', ['a']);
      await assert.rejects(
        recordEvents(client, [{ ...event!, message: 'x'.repeat(64 * 1024) }]),
        (e: { code?: number }) => e.code === grpc.status.RESOURCE_EXHAUSTED,
      );
    } finally {
      client.close();
    }
  });
});

describe('logs never contain the token or private keys', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-grpc-logs-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('flotilla event-sink at debug level, with right and wrong tokens and a retrying publisher', async () => {
    const pki = await makePki();
    const token = 'secret-token-7c1e9b0d44a2f6';
    const files = {
      cert: join(dir, 'tls.crt'),
      key: join(dir, 'tls.key'),
      ca: join(dir, 'ca.crt'),
      token: join(dir, 'token'),
    };
    writeFileSync(files.cert, pki.server.certPem);
    writeFileSync(files.key, pki.server.keyPem);
    writeFileSync(files.ca, pki.ca.certPem);
    writeFileSync(files.token, `${token}\n`);
    const child = spawn(
      process.execPath,
      [
        'bin/flotilla.mjs',
        'event-sink',
        '--store',
        'memory',
        '--port',
        '0',
        '--log-level',
        'trace',
        '--tls-cert',
        files.cert,
        '--tls-key',
        files.key,
        '--token-file',
        files.token,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, GRPC_VERBOSITY: 'DEBUG', GRPC_TRACE: 'call_stream,server_call,channel' },
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let publisherLog = '';
    try {
      const address = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`event-sink did not start: ${output}`)), 30_000);
        child.stdout.on('data', () => {
          const match = /event-sink listening on (\S+)/.exec(output);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      const tls = { caPem: pki.ca.certPem };
      assert.equal(await tryRecord(address, { tls, token }), grpc.status.OK);
      assert.equal(await tryRecord(address, { tls, token: `${token}-wrong` }), grpc.status.UNAUTHENTICATED);
      assert.equal(await tryRecord(address, { tls }), grpc.status.UNAUTHENTICATED);
      // A publisher that logs its retries (wrong token, then a dead address) at debug level.
      const logger = pino(
        { level: 'trace' },
        new Writable({ write: (c: Buffer, _e, cb) => ((publisherLog += c.toString()), cb()) }),
      );
      const publisher = new EventPublisher({
        address,
        security: { tls, token: `${token}-wrong` },
        retryBaseMs: 10,
        retryMaxMs: 20,
        logger,
      });
      for (const event of runEvents('logs', ['a'])) publisher.publish(event);
      await publisher.flush(500);
      await publisher.close(100);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    assert.match(output, /event sink listening/);
    assert.match(output, /\[REDACTED\]/, 'grpc-js tracing printed call metadata, redacted');
    assert.match(output, /event sink stopped/, 'stopped cleanly on SIGTERM');
    assert.match(publisherLog, /retrying/, 'the publisher did log its failures');
    for (const [where, text] of [
      ['event-sink', output],
      ['publisher', publisherLog],
    ] as const) {
      assert.ok(!text.includes(token), `${where} logs contain the token`);
      assert.ok(!text.includes(pki.server.keyPem.split('\n')[1]!), `${where} logs contain the private key`);
      const leak = /.{0,80}Bearer (?!\[REDACTED\]).{0,40}/.exec(text);
      assert.equal(leak, null, `${where} logs contain an authorization value: ${leak?.[0]}`);
    }
  });
});
