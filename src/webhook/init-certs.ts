/**
 * `flotilla init-certs`: the webhook's serving certificate in a `kubernetes.io/tls` Secret
 * (`tls.crt`, `tls.key`, `ca.crt`) and the webhook configurations' `caBundle`, idempotently.
 *
 * - A Secret whose pair is valid (parses, key matches, signed by its ca.crt, covers every name,
 *   expires later than `rotateBeforeDays`) is reused unless `force`; otherwise a new CA and
 *   serving certificate are issued (a new CA each time, its key never stored).
 * - Each webhook of the named configurations (the Workflows' mutating and validating ones, and the
 *   fence's when `fenceConfig` names it: one server serves every path, under one certificate) gets
 *   a caBundle holding the Secret's CA; a bundle that already holds it is left alone (no write).
 * - Rotation keeps the webhook answering: the caBundles are written first with the new CA *and*
 *   the previous one (older CAs dropped), then the Secret; the webhook, still serving the old
 *   certificate until it reloads, stays trusted throughout.
 * - `writeDir` also writes tls.crt, tls.key and ca.crt there (each atomically by rename), for a
 *   sandbox where nothing mounts Secrets.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { toKubeError } from '../kube/errors.js';
import { createCertificateAuthority, issueCertificate } from '../security/certs.js';
import { bundleHas, isIpAddress, serviceDnsNames, servingProblem, splitBundle } from './cert-check.js';
import { WebhookError } from './errors.js';
import { WEBHOOK_CONFIG_NAME } from './manifests.js';

export interface InitCertsOptions {
  kubeConfig: KubeConfig;
  /** Namespace of the Service and the Secret. */
  namespace: string;
  /** The webhook Service name (its DNS names go in the certificate). */
  service: string;
  /** The Secret to keep the pair in. */
  secret: string;
  /** MutatingWebhookConfiguration to patch; '' to skip. @defaultValue 'flotilla-workflows' */
  mutatingConfig?: string;
  /** ValidatingWebhookConfiguration to patch; '' to skip. @defaultValue 'flotilla-workflows' */
  validatingConfig?: string;
  /**
   * The fence's ValidatingWebhookConfiguration (`flotilla-fence`, served by `webhook --fence`) to
   * patch too; '' to skip. Off unless named, so a caller without the fence needs no right to read it.
   * @defaultValue ''
   */
  fenceConfig?: string;
  /** Extra DNS names. @defaultValue [] */
  dnsNames?: readonly string[];
  /** IP addresses to cover. @defaultValue [] */
  ipAddresses?: readonly string[];
  /** Reissue when the certificate expires sooner than this many days. @defaultValue 30 */
  rotateBeforeDays?: number;
  /** Reissue even if the Secret is valid. @defaultValue false */
  force?: boolean;
  /** Also write tls.crt, tls.key, ca.crt here. @defaultValue undefined */
  writeDir?: string;
  /** Serving certificate validity. @defaultValue 365 */
  validityDays?: number;
  /** @defaultValue () => new Date() */
  now?: () => Date;
}

export type ConfigOutcome = 'patched' | 'unchanged' | 'missing' | 'skipped';

export interface InitCertsResult {
  secret: 'created' | 'reused' | 'rotated';
  /** Why the pair was reissued (rotated only). */
  reason?: string;
  mutating: ConfigOutcome;
  validating: ConfigOutcome;
  fence: ConfigOutcome;
  /** CAs in the caBundles written or found (1, or 2 during a rotation's overlap). */
  bundleCas: number;
  notAfter: string;
}

interface Pair {
  certPem: string;
  keyPem: string;
  caPem: string;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));

function isNotFound(error: unknown): boolean {
  return toKubeError(error, 'init-certs').code === 'NotFound';
}
/** 409: created meanwhile (AlreadyExists) or changed since read (Conflict). */
function isConflict(error: unknown): boolean {
  const { code } = toKubeError(error, 'init-certs');
  return code === 'Conflict' || code === 'AlreadyExists';
}

function writeAtomically(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, text, { mode: name.endsWith('.key') ? 0o600 : 0o644 });
    renameSync(tmp, join(dir, name));
  }
}

type WebhookConfigKind = 'mutating' | 'validating';

export async function initCerts(options: InitCertsOptions): Promise<InitCertsResult> {
  const now = options.now ?? (() => new Date());
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const adm = options.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const dnsNames = [...serviceDnsNames(options.service, options.namespace), ...(options.dnsNames ?? [])];
  const ipAddresses = [...(options.ipAddresses ?? [])];
  for (const ip of ipAddresses) if (!isIpAddress(ip)) throw new WebhookError('BadConfig', `not an IP address: ${ip}`);
  const rotateBeforeMs = (options.rotateBeforeDays ?? 30) * 86_400_000;

  let existing: V1Secret | undefined;
  try {
    existing = await core.readNamespacedSecret({ namespace: options.namespace, name: options.secret });
  } catch (error) {
    if (!isNotFound(error))
      throw new WebhookError('SecretRead', `cannot read secret ${options.namespace}/${options.secret}`, {
        cause: error,
      });
  }
  const current: Pair | undefined = existing
    ? {
        certPem: unb64(existing.data?.['tls.crt']),
        keyPem: unb64(existing.data?.['tls.key']),
        caPem: unb64(existing.data?.['ca.crt']),
      }
    : undefined;
  const problem =
    current === undefined
      ? 'no secret'
      : existing?.type !== 'kubernetes.io/tls'
        ? `the secret's type is ${existing?.type ?? 'unset'}`
        : servingProblem(current, { dnsNames, ipAddresses, rotateBeforeMs, now: now() });
  const reissue = problem !== undefined || options.force === true;

  let pair: Pair;
  let bundle: string[];
  if (reissue) {
    const ca = await createCertificateAuthority({
      commonName: `${options.service}.${options.namespace}.svc-ca`,
      validityDays: Math.max(3650, (options.validityDays ?? 365) * 2),
    });
    const serving = await issueCertificate(ca, {
      commonName: `${options.service}.${options.namespace}.svc`,
      dnsNames,
      ipAddresses,
      usage: 'server',
      validityDays: options.validityDays ?? 365,
    });
    pair = { certPem: serving.certPem, keyPem: serving.keyPem, caPem: ca.certPem };
    // New CA first, then the one the webhook serves under until it reloads; older ones go.
    const previous = current !== undefined ? splitBundle(current.caPem).slice(0, 1) : [];
    // One PEM per line block: OpenSSL does not read a certificate glued to the previous END line.
    bundle = [...splitBundle(ca.certPem), ...previous];
  } else {
    pair = current as Pair;
    bundle = splitBundle(pair.caPem).slice(0, 1);
  }

  const mutating = await patchBundle(
    adm,
    'mutating',
    options.mutatingConfig ?? WEBHOOK_CONFIG_NAME,
    pair.caPem,
    bundle.join(''),
  );
  const validating = await patchBundle(
    adm,
    'validating',
    options.validatingConfig ?? WEBHOOK_CONFIG_NAME,
    pair.caPem,
    bundle.join(''),
  );
  const fence = await patchBundle(adm, 'validating', options.fenceConfig ?? '', pair.caPem, bundle.join(''));

  if (reissue) {
    const data = { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem), 'ca.crt': b64(pair.caPem) };
    const labels = { 'app.kubernetes.io/name': 'flotilla', 'app.kubernetes.io/component': 'webhook' };
    try {
      if (existing === undefined) {
        await core.createNamespacedSecret({
          namespace: options.namespace,
          body: { metadata: { name: options.secret, labels }, type: 'kubernetes.io/tls', data },
        });
      } else if (existing.type !== 'kubernetes.io/tls') {
        // type is immutable: replace the Secret.
        await core.deleteNamespacedSecret({ namespace: options.namespace, name: options.secret });
        await core.createNamespacedSecret({
          namespace: options.namespace,
          body: { metadata: { name: options.secret, labels }, type: 'kubernetes.io/tls', data },
        });
      } else {
        await core.replaceNamespacedSecret({
          namespace: options.namespace,
          name: options.secret,
          body: { ...existing, data },
        });
      }
    } catch (error) {
      throw new WebhookError('KubeWrite', `cannot write secret ${options.namespace}/${options.secret}`, {
        cause: error,
      });
    }
  }
  if (options.writeDir !== undefined)
    writeAtomically(options.writeDir, { 'ca.crt': pair.caPem, 'tls.key': pair.keyPem, 'tls.crt': pair.certPem });
  const notAfter = new Date(new X509Certificate(pair.certPem).validTo).toISOString();
  const secret = !reissue ? 'reused' : existing === undefined ? 'created' : 'rotated';
  return {
    secret,
    ...(secret === 'rotated' && problem !== undefined
      ? { reason: problem }
      : secret === 'rotated'
        ? { reason: 'forced' }
        : {}),
    mutating,
    validating,
    fence,
    bundleCas: bundle.length,
    notAfter,
  };
}

/**
 * Gives every webhook of one configuration `bundle` unless its caBundle already holds `caPem`
 * (then nothing is written). Retries a 409 from a concurrent writer.
 */
async function patchBundle(
  adm: AdmissionregistrationV1Api,
  kind: WebhookConfigKind,
  name: string,
  caPem: string,
  bundle: string,
): Promise<ConfigOutcome> {
  if (name === '') return 'skipped';
  for (let attempt = 0; ; attempt++) {
    let config;
    try {
      config =
        kind === 'mutating'
          ? await adm.readMutatingWebhookConfiguration({ name })
          : await adm.readValidatingWebhookConfiguration({ name });
    } catch (error) {
      if (isNotFound(error)) return 'missing';
      throw new WebhookError('KubeWrite', `cannot read ${kind} webhook configuration ${name}`, { cause: error });
    }
    const webhooks = config.webhooks ?? [];
    if (webhooks.every((w) => bundleHas(unb64(w.clientConfig.caBundle), caPem))) return 'unchanged';
    for (const w of webhooks) w.clientConfig.caBundle = b64(bundle);
    try {
      if (kind === 'mutating') await adm.replaceMutatingWebhookConfiguration({ name, body: config });
      else await adm.replaceValidatingWebhookConfiguration({ name, body: config as never });
      return 'patched';
    } catch (error) {
      if (isConflict(error) && attempt < 4) continue;
      throw new WebhookError('KubeWrite', `cannot update ${kind} webhook configuration ${name}`, { cause: error });
    }
  }
}
