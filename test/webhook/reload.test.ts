/**
 * The webhook server reloads its certificate from files without a restart: a new pair is served
 * to new connections after the poll; a half-written pair (key of another certificate) keeps the
 * old one serving and is picked up once complete.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createCertificateAuthority, issueCertificate, type CertificatePair } from '../../src/security/certs.js';
import { startWebhookServer, type RunningWebhookServer } from '../../src/webhook/server.js';
import { FileTlsSource } from '../../src/webhook/tls-source.js';

let dir: string;
let server: RunningWebhookServer;
const certFile = (): string => join(dir, 'tls.crt');
const keyFile = (): string => join(dir, 'tls.key');

async function pair(): Promise<{ ca: CertificatePair; serving: CertificatePair }> {
  const ca = await createCertificateAuthority({ commonName: 'reload-ca' });
  return {
    ca,
    serving: await issueCertificate(ca, { commonName: 'webhook', ipAddresses: ['127.0.0.1'], usage: 'server' }),
  };
}

/** POSTs a review trusting only `caPem`; resolves the response uid or rejects with the TLS error. */
function review(caPem: string): Promise<string> {
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'r1',
      operation: 'CREATE',
      name: 'a',
      namespace: 'b',
      object: { metadata: { name: 'a', namespace: 'b' } },
    },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/mutate-workflows`,
      { method: 'POST', ca: caPem, agent: false, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve((JSON.parse(text) as { response: { uid: string } }).response.uid));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let first: Awaited<ReturnType<typeof pair>>;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-webhook-reload-'));
  first = await pair();
  writeFileSync(certFile(), first.serving.certPem);
  writeFileSync(keyFile(), first.serving.keyPem);
  // The poll timer is long: the test drives reload() itself.
  server = await startWebhookServer({
    tls: new FileTlsSource(certFile(), keyFile()),
    port: 0,
    metricsPort: 0,
    reloadIntervalMs: 3_600_000,
    logger: pino({ level: 'silent' }),
  });
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a rotated pair is served after reload; a half-written one keeps the old pair', async () => {
  assert.equal(await review(first.ca.certPem), 'r1');
  assert.equal(await server.reload(), false, 'nothing changed');
  const second = await pair();
  // Half-written: the new certificate with the old key.
  writeFileSync(certFile(), second.serving.certPem);
  assert.equal(await server.reload(), false);
  assert.equal(await review(first.ca.certPem), 'r1', 'the old pair still serves');
  writeFileSync(keyFile(), second.serving.keyPem);
  assert.equal(await server.reload(), true);
  assert.equal(await review(second.ca.certPem), 'r1');
  await assert.rejects(review(first.ca.certPem), /self-signed|unable to verify|certificate/);
  const metrics = await (await fetch(`${server.metricsUrl}/metrics`)).text();
  assert.match(metrics, /flotilla_webhook_certificate_reloads_total\{result="ok"\} 2/);
  assert.match(metrics, /flotilla_webhook_certificate_reloads_total\{result="error"\} 1/);
});

test('a body that is not an AdmissionReview is a 400 counted as error', async () => {
  const res = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${server.url}/validate-workflows`,
      { method: 'POST', rejectUnauthorized: false, agent: false },
      (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end('{"kind":"Pod"}');
  });
  assert.equal(res, 400);
  const metrics = await (await fetch(`${server.metricsUrl}/metrics`)).text();
  assert.match(metrics, /flotilla_webhook_requests_total\{path="\/validate-workflows",result="error"\} 1/);
});
