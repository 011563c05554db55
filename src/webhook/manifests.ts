/**
 * The Mutating and Validating webhook configurations for Workflows, in code, so the sandbox, the
 * tests and `init-certs` use the same objects the Helm chart ships (the chart mirrors these).
 *
 * Both use `failurePolicy: Ignore`: creation still works with the webhook down, because the shard
 * manager's labeller labels what the mutating webhook missed, and replicas fail an invalid
 * Workflow with `Valid=False` and a reason anyway. `timeoutSeconds: 3` keeps a slow webhook from
 * holding up `kubectl apply` for the default 10 s.
 */

import { INJECT_SECRETS_LABEL } from '../api/secrets.js';

/** HTTPS paths of the webhook server. */
export const MUTATE_PATH = '/mutate-workflows';
export const MUTATE_PODS_PATH = '/mutate-pods';
export const VALIDATE_PATH = '/validate-workflows';
export const WEBHOOK_CONFIG_NAME = 'flotilla-workflows';
export const MUTATING_WEBHOOK_NAME = 'mutate.workflows.flotilla.io';
export const VALIDATING_WEBHOOK_NAME = 'validate.workflows.flotilla.io';
export const SECRETS_WEBHOOK_NAME = 'secrets.pods.flotilla.io';
export const FENCE_PATH = '/fence';
export const FENCE_CONFIG_NAME = 'flotilla-fence';
export const FENCE_WORKFLOWS_WEBHOOK_NAME = 'fence.workflows.flotilla.io';
export const FENCE_PODS_WEBHOOK_NAME = 'fence.pods.flotilla.io';
export const FENCE_CHILDREN_WEBHOOK_NAME = 'fence.children.flotilla.io';

export interface WebhookManifestOptions {
  /** The webhook Service (in a cluster): `{ namespace, name, port }`. Exactly one of service / url. */
  service?: { namespace: string; name: string; port?: number };
  /** Base URL of the webhook (`https://127.0.0.1:9443`), for a webhook outside the cluster. */
  url?: string;
  /** PEM of the CA(s) that sign the serving certificate (encoded to base64 here). @defaultValue none (system roots) */
  caBundlePem?: string;
  /** @defaultValue 'flotilla-workflows' */
  name?: string;
  /** @defaultValue 'Ignore' */
  failurePolicy?: 'Ignore' | 'Fail';
  /** @defaultValue 3 */
  timeoutSeconds?: number;
}

export type JsonMap = Record<string, unknown>;

function clientConfig(options: WebhookManifestOptions, path: string): JsonMap {
  const caBundle =
    options.caBundlePem !== undefined
      ? { caBundle: Buffer.from(`${options.caBundlePem.trim()}\n`).toString('base64') }
      : {};
  if (options.service !== undefined && options.url === undefined) {
    return {
      service: {
        namespace: options.service.namespace,
        name: options.service.name,
        path,
        port: options.service.port ?? 443,
      },
      ...caBundle,
    };
  }
  if (options.url !== undefined && options.service === undefined)
    return { url: `${options.url.replace(/\/+$/, '')}${path}`, ...caBundle };
  throw new TypeError('webhook manifests need exactly one of service or url');
}

function webhook(name: string, path: string, operations: string[], options: WebhookManifestOptions): JsonMap {
  return {
    name,
    clientConfig: clientConfig(options, path),
    rules: [
      {
        operations,
        apiGroups: ['flotilla.io'],
        apiVersions: ['v1alpha1'],
        resources: ['workflows'],
        scope: 'Namespaced',
      },
    ],
    failurePolicy: options.failurePolicy ?? 'Ignore',
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: options.timeoutSeconds ?? 3,
  };
}

/**
 * The secrets webhook (in the mutating configuration, so init-certs' caBundle covers it): Pod
 * CREATE, only Pods labelled `flotilla.io/inject-secrets: "true"` (what the pod plugins set when a
 * task asks for secrets), `failurePolicy: Fail`: a Pod that asked for secrets must never start
 * without them.
 */
function secretsWebhook(options: WebhookManifestOptions): JsonMap {
  return {
    name: SECRETS_WEBHOOK_NAME,
    clientConfig: clientConfig(options, MUTATE_PODS_PATH),
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
    objectSelector: { matchLabels: { [INJECT_SECRETS_LABEL]: 'true' } },
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: options.timeoutSeconds ?? 3,
    reinvocationPolicy: 'Never',
  };
}

/** The two configurations: `[mutating, validating]`. */
export function webhookConfigurations(options: WebhookManifestOptions): [JsonMap, JsonMap] {
  const name = options.name ?? WEBHOOK_CONFIG_NAME;
  const labels = { 'app.kubernetes.io/name': 'flotilla', 'app.kubernetes.io/component': 'webhook' };
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name, labels },
      webhooks: [
        { ...webhook(MUTATING_WEBHOOK_NAME, MUTATE_PATH, ['CREATE'], options), reinvocationPolicy: 'Never' },
        secretsWebhook(options),
      ],
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name, labels },
      webhooks: [webhook(VALIDATING_WEBHOOK_NAME, VALIDATE_PATH, ['CREATE', 'UPDATE'], options)],
    },
  ];
}

/**
 * The fence's ValidatingWebhookConfiguration (`flotilla webhook --fence`): Workflow status writes
 * (`workflows/status` UPDATE), creates of Pods that carry a shard epoch and creates of child
 * Workflows that carry their parent's shard and epoch (`objectSelector`s, so no other Pod or
 * Workflow pays for a call). Under `Ignore` (the default) a fence that cannot be reached
 * lets writes through with the guarantees the fleet has without it (resourceVersion, deterministic
 * names); `Fail` keeps the fence closed at the price of stopping status writes while it is down.
 */
export function fenceWebhookConfiguration(options: WebhookManifestOptions): JsonMap {
  const labels = { 'app.kubernetes.io/name': 'flotilla', 'app.kubernetes.io/component': 'webhook' };
  const statusWrites = webhook(FENCE_WORKFLOWS_WEBHOOK_NAME, FENCE_PATH, ['UPDATE'], options);
  const pods = webhook(FENCE_PODS_WEBHOOK_NAME, FENCE_PATH, ['CREATE'], options);
  const children = webhook(FENCE_CHILDREN_WEBHOOK_NAME, FENCE_PATH, ['CREATE'], options);
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: options.name ?? FENCE_CONFIG_NAME, labels },
    webhooks: [
      {
        ...statusWrites,
        rules: [
          {
            operations: ['UPDATE'],
            apiGroups: ['flotilla.io'],
            apiVersions: ['v1alpha1'],
            resources: ['workflows/status'],
            scope: 'Namespaced',
          },
        ],
      },
      {
        ...pods,
        rules: [
          { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
        ],
        objectSelector: { matchExpressions: [{ key: 'flotilla.io/shard-epoch', operator: 'Exists' }] },
      },
      {
        ...children,
        objectSelector: {
          matchExpressions: [
            { key: 'flotilla.io/parent-shard', operator: 'Exists' },
            { key: 'flotilla.io/shard-epoch', operator: 'Exists' },
          ],
        },
      },
    ],
  };
}
