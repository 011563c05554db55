/**
 * The admission webhook in the sandbox, as the chart runs it: the Mutating/ValidatingWebhook
 * configurations registered with the embedded API server (which calls them on Workflow create and
 * update, as a real one does), the serving certificate from the init-certs logic (a
 * `kubernetes.io/tls` Secret, the configurations' caBundle, and the files under
 * `<stateDir>/webhook`), and the server `flotilla webhook` runs (in the sandbox's process, log in
 * `<stateDir>/logs/webhook.log`). So `kubectl apply` of an invalid Workflow is refused at the door,
 * and a valid one gets its shard label at creation.
 *
 * The API server's data outlives the sandbox: configurations left from an earlier run (another
 * port, or a run with the webhook) are replaced, or removed when it runs without (`--no-webhook`).
 */
import { join } from 'node:path';
import { AdmissionregistrationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { initCerts } from '../src/webhook/init-certs.js';
import { WEBHOOK_CONFIG_NAME, webhookConfigurations } from '../src/webhook/manifests.js';
import { pino } from 'pino';
import { KubeSecretKeyReader } from '../src/webhook/secret-reader.js';
import { startWebhookServer } from '../src/webhook/server.js';
import { FileTlsSource } from '../src/webhook/tls-source.js';
import { SandboxError } from './errors.js';
import { freePort } from './processes.js';

/** The chart's names (release `flotilla`), so `kubectl get secret flotilla-webhook-tls` finds it. */
const SERVICE = 'flotilla-webhook';
const SECRET = 'flotilla-webhook-tls';

export interface SandboxWebhookOptions {
  kubeConfig: KubeConfig;
  stateDir: string;
  /** Namespace of the certificate's Secret (the fleet's). */
  namespace: string;
  /** The fleet's shard count: the webhook labels with the same hash modulus. */
  shardCount: number;
}

export interface SandboxWebhook {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** `http://127.0.0.1:<port>` of its /metrics and /healthz. */
  readonly metricsUrl: string;
  stop(): Promise<void>;
}

const isStatus = (error: unknown, code: number): boolean => (error as { code?: unknown }).code === code;

/** Deletes the sandbox's webhook configurations (absent ones are fine). */
export async function removeWebhookConfigurations(kubeConfig: KubeConfig): Promise<void> {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  for (const remove of [
    () => api.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG_NAME }),
    () => api.deleteValidatingWebhookConfiguration({ name: WEBHOOK_CONFIG_NAME }),
  ]) {
    try {
      await remove();
    } catch (error) {
      if (!isStatus(error, 404))
        throw new SandboxError('SubmitFailed', `cannot remove the webhook configuration ${WEBHOOK_CONFIG_NAME}`, {
          cause: error,
        });
    }
  }
}

/** Registers the configurations, issues the certificate and starts `flotilla webhook`. */
export async function startSandboxWebhook(o: SandboxWebhookOptions): Promise<SandboxWebhook> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  // Registered before the webhook listens: `Ignore` admits while it starts, as in a cluster.
  await removeWebhookConfigurations(o.kubeConfig);
  const api = o.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const [mutating, validating] = webhookConfigurations({ url });
  try {
    await api.createMutatingWebhookConfiguration({ body: mutating });
    await api.createValidatingWebhookConfiguration({ body: validating });
  } catch (error) {
    throw new SandboxError('SubmitFailed', 'cannot register the webhook configurations', { cause: error });
  }
  const dir = join(o.stateDir, 'webhook');
  // The init-certs Job's logic: the Secret, both caBundles, and here also the files the process reads.
  await initCerts({
    kubeConfig: o.kubeConfig,
    namespace: o.namespace,
    service: SERVICE,
    secret: SECRET,
    ipAddresses: ['127.0.0.1'],
    dnsNames: ['localhost'],
    writeDir: dir,
  });
  // The server `flotilla webhook` runs, in this process as the API server is (a process of its own
  // would cost the sandbox a Node start-up for no difference in behaviour); its log is a file.
  const logFile = join(o.stateDir, 'logs', 'webhook.log');
  const logger = pino(
    { name: 'flotilla-webhook', level: 'info' },
    pino.destination({ dest: logFile, mkdir: true, sync: false }),
  );
  const server = await startWebhookServer({
    tls: new FileTlsSource(join(dir, 'tls.crt'), join(dir, 'tls.key')),
    port,
    metricsPort: 0,
    shardCount: o.shardCount,
    // `/mutate-pods` reads the Secrets task Pods ask for, as the chart's webhook does in-cluster.
    secrets: new KubeSecretKeyReader(o.kubeConfig),
    logger,
  });
  return {
    url: server.url,
    metricsUrl: server.metricsUrl,
    stop: async () => {
      await server.stop();
      logger.flush();
    },
  };
}
