/**
 * A tiny certificate authority: ECDSA P-256 keys through node's WebCrypto, X.509 through
 * @peculiar/x509. Used by the embedded API server (serving cert), the gRPC servers (TLS) and the
 * admission webhook. Everything is PEM text so it can be written to disk and read back.
 */
// @peculiar/x509 uses tsyringe, which needs a Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { CertificateError } from './errors.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const crypto = webcrypto;
x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A certificate and its private key, both PEM. */
export interface CertificatePair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A CA is a certificate pair whose certificate may sign others. */
export type CertificateAuthority = CertificatePair;

export interface CreateCaOptions {
  /** Subject common name of the CA. */
  commonName: string;
  /** Validity in days. @defaultValue 3650 */
  validityDays?: number;
}

export interface IssueCertificateOptions {
  /** Subject common name. */
  commonName: string;
  /** DNS subject alternative names. @defaultValue [] */
  dnsNames?: readonly string[];
  /** IP subject alternative names. @defaultValue [] */
  ipAddresses?: readonly string[];
  /** Extended key usage: serverAuth or clientAuth. */
  usage: 'server' | 'client';
  /** Validity in days. @defaultValue 825 */
  validityDays?: number;
}

function randomSerial(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(Date.now() + days * 24 * 60 * 60 * 1000);
  return { notBefore, notAfter };
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  try {
    const der = x509.PemConverter.decodeFirst(pem);
    return await crypto.subtle.importKey('pkcs8', der, keyAlgorithm, true, ['sign']);
  } catch (cause) {
    throw new CertificateError('InvalidPem', 'cannot read the CA private key', { cause });
  }
}

/** Creates a self-signed CA (basicConstraints CA:true, keyCertSign). */
export async function createCertificateAuthority(options: CreateCaOptions): Promise<CertificateAuthority> {
  try {
    const keys = (await crypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: `CN=${options.commonName}`,
      ...validity(options.validityDays ?? 3650),
      signingAlgorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
  } catch (cause) {
    if (cause instanceof CertificateError) throw cause;
    throw new CertificateError('GenerateFailed', 'cannot create the certificate authority', { cause });
  }
}

/** Issues a leaf certificate signed by `ca`, for a server or a client. */
export async function issueCertificate(
  ca: CertificateAuthority,
  options: IssueCertificateOptions,
): Promise<CertificatePair> {
  const caKey = await importKeyPem(ca.keyPem);
  let caCert: x509.X509Certificate;
  try {
    caCert = new x509.X509Certificate(ca.certPem);
  } catch (cause) {
    throw new CertificateError('InvalidPem', 'cannot read the CA certificate', { cause });
  }
  try {
    const keys = (await crypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
    const names: x509.JsonGeneralName[] = [];
    for (const dns of options.dnsNames ?? []) names.push({ type: 'dns', value: dns });
    for (const ip of options.ipAddresses ?? []) {
      if (isIP(ip) === 0) throw new CertificateError('GenerateFailed', `not an IP address: ${ip}`);
      names.push({ type: 'ip', value: ip });
    }
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([
        options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ];
    if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=${options.commonName}`,
      issuer: caCert.subject,
      ...validity(options.validityDays ?? 825),
      signingAlgorithm,
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions,
    });
    return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
  } catch (cause) {
    if (cause instanceof CertificateError) throw cause;
    throw new CertificateError('GenerateFailed', `cannot issue a certificate for ${options.commonName}`, { cause });
  }
}
