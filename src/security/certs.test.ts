import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueCertificate } from './certs.js';
import { CertificateError } from './errors.js';

test('CA signs a server certificate that node verifies and serves over TLS', async () => {
  const ca = await createCertificateAuthority({ commonName: 'test-ca' });
  const caCert = new X509Certificate(ca.certPem);
  assert.equal(caCert.ca, true);
  assert.match(caCert.subject, /CN=test-ca/);
  const leaf = await issueCertificate(ca, {
    commonName: 'server',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  const leafCert = new X509Certificate(leaf.certPem);
  assert.equal(leafCert.ca, false);
  assert.equal(leafCert.verify(caCert.publicKey), true);
  assert.equal(leafCert.checkIssued(caCert), true);
  assert.equal(leafCert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(leafCert.checkHost('localhost'), 'localhost');
  assert.equal(leafCert.checkHost('example.com'), undefined);

  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, ca: ca.certPem, path: '/' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(body, 'ok');
    // A different CA must not be trusted.
    const other = await createCertificateAuthority({ commonName: 'other' });
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, ca: other.certPem, path: '/' }, resolve);
        req.on('error', reject);
        req.end();
      }),
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('client certificates carry clientAuth and bad input is a typed error', async () => {
  const ca = await createCertificateAuthority({ commonName: 'ca2' });
  const client = await issueCertificate(ca, { commonName: 'me', usage: 'client' });
  const cert = new X509Certificate(client.certPem);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  await assert.rejects(
    issueCertificate({ certPem: ca.certPem, keyPem: 'nonsense' }, { commonName: 'x', usage: 'server' }),
    CertificateError,
  );
  await assert.rejects(
    issueCertificate(ca, { commonName: 'x', ipAddresses: ['not-ip'], usage: 'server' }),
    CertificateError,
  );
});
