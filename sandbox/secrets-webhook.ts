/**
 * The sandbox's secrets webhook: the real `/mutate-pods` server (src/webhook) in the sandbox
 * process on loopback, with a CA made for it, registered as a MutatingWebhookConfiguration holding
 * only the secrets webhook (the Workflow webhooks stay out: the sandbox's labeller labels). So a
 * task asking for secrets gets them from the sandbox's Secrets, and a missing one fails its node,
 * exactly as in a cluster with the chart's webhook.
 */
import { AdmissionregistrationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { createCertificateAuthority, issueCertificate } from '../src/security/certs.js';
import { SECRETS_WEBHOOK_NAME, webhookConfigurations } from '../src/webhook/manifests.js';
import { KubeSecretKeyReader } from '../src/webhook/secret-reader.js';
import { startWebhookServer } from '../src/webhook/server.js';
import type { TlsMaterial, TlsSource } from '../src/webhook/tls-source.js';

/** The configuration's name in the sandbox. */
export const SANDBOX_SECRETS_CONFIG = 'flotilla-sandbox-secrets';

/** A certificate made once, in memory: nothing to reload. */
class FixedTlsSource implements TlsSource {
  readonly description = 'sandbox certificate (in memory)';
  private given = false;
  constructor(private readonly material: TlsMaterial) {}
  async poll(): Promise<TlsMaterial | undefined> {
    if (this.given) return undefined;
    this.given = true;
    return this.material;
  }
}

export interface SandboxSecretsWebhook {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startSandboxSecretsWebhook(kubeConfig: KubeConfig): Promise<SandboxSecretsWebhook> {
  const ca = await createCertificateAuthority({ commonName: 'flotilla-sandbox-webhook-ca' });
  const serving = await issueCertificate(ca, {
    commonName: 'flotilla-sandbox-webhook',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  const server = await startWebhookServer({
    tls: new FixedTlsSource({ certPem: serving.certPem, keyPem: serving.keyPem }),
    port: 0,
    metricsPort: 0,
    reloadIntervalMs: 3_600_000,
    secrets: new KubeSecretKeyReader(kubeConfig),
    logger: pino({ level: 'silent' }),
  });
  try {
    const [mutating] = webhookConfigurations({ url: server.url, caBundlePem: ca.certPem });
    const webhooks = (mutating['webhooks'] as Array<{ name: string }>).filter((w) => w.name === SECRETS_WEBHOOK_NAME);
    const body = { ...mutating, metadata: { name: SANDBOX_SECRETS_CONFIG }, webhooks };
    const adm = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    // A restarted sandbox on the same data directory finds the old one (another port, another CA).
    await adm.deleteMutatingWebhookConfiguration({ name: SANDBOX_SECRETS_CONFIG }).catch(() => undefined);
    await adm.createMutatingWebhookConfiguration({ body: body as never });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: server.url, stop: () => server.stop() };
}
