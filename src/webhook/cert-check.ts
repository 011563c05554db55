/**
 * Pure certificate checks for init-certs: is a serving pair still good for these names, and
 * which CAs a caBundle holds. PEM in, plain answers out (node:crypto X509Certificate).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';

export interface ServingCheck {
  /** Names (DNS) and IPs the certificate must cover. */
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  /** Reissue when it expires sooner than this. */
  rotateBeforeMs: number;
  now: Date;
}

/** Why a serving pair must be reissued, or undefined when it is good. */
export function servingProblem(
  pair: { certPem: string; keyPem: string; caPem: string },
  check: ServingCheck,
): string | undefined {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(pair.certPem);
    ca = new X509Certificate(pair.caPem);
  } catch {
    return 'the certificate or CA does not parse';
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) return 'the key does not match the certificate';
  } catch {
    return 'the key does not parse';
  }
  if (!cert.verify(ca.publicKey)) return 'the certificate is not signed by ca.crt';
  const notAfter = new Date(cert.validTo).getTime();
  if (notAfter - check.now.getTime() < check.rotateBeforeMs)
    return `the certificate expires at ${new Date(notAfter).toISOString()}, within the rotation window`;
  if (new Date(ca.validTo).getTime() - check.now.getTime() < check.rotateBeforeMs)
    return 'the CA expires within the rotation window';
  for (const name of check.dnsNames)
    if (cert.checkHost(name, { wildcards: false }) === undefined) return `the certificate does not cover ${name}`;
  for (const ip of check.ipAddresses) if (cert.checkIP(ip) === undefined) return `the certificate does not cover ${ip}`;
  return undefined;
}

/** The PEM certificates in a bundle, in order (normalised to one trailing newline each). */
export function splitBundle(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map(
    (m) => `${m[0].trim()}\n`,
  );
}

/** True when `bundle` (PEM) holds the certificate `certPem` (compared by fingerprint). */
export function bundleHas(bundle: string, certPem: string): boolean {
  let wanted: string;
  try {
    wanted = new X509Certificate(certPem).fingerprint256;
  } catch {
    return false;
  }
  return splitBundle(bundle).some((c) => {
    try {
      return new X509Certificate(c).fingerprint256 === wanted;
    } catch {
      return false;
    }
  });
}

/** DNS names a Service's certificate needs: `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.cluster.local`. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}
