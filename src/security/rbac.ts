/**
 * The Kubernetes permissions each flotilla process needs: the ONE list. The Helm chart renders its
 * Roles and ClusterRoles from `charts/flotilla/files/rbac.yaml`, which is generated from this
 * module (`node --import tsx src/security/rbac.ts`; a test fails when the file drifts), and the
 * chart tests compare the rendered rules with {@link expectedRules}. Another test records every
 * request the real code makes against the embedded API server and checks each is covered here.
 *
 * Scopes:
 * - `workloads`: Workflows, Pods, Events in the namespaces the fleet serves. A ClusterRole when the
 *   fleet watches every namespace; a Role in each namespace when it watches a list of them.
 * - `fleet`: objects in the fleet's own namespace (Leases, the webhook's Secret): always a Role.
 * - `cluster`: cluster-scoped objects (CRDs, webhook configurations): always a ClusterRole.
 * - `installCrd`: cluster-scoped, granted only when the controller runs with `--install-crd`.
 *
 * Optional features that need rights of their own are components of their own, bound to the
 * process that runs them only when the feature is on: `webhookFence` (the webhook's `--fence`) and
 * `initCertsFence` (init-certs' `--fence-config`), granted when the chart runs the fence
 * (`webhook.fence.enabled` with the hash strategy).
 *
 * No wildcards: every rule names its groups, resources and verbs.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** One RBAC PolicyRule, as it appears in a Role or ClusterRole. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: Verb[];
  /** Restricts the rule to these object names (Roles only). */
  resourceNames?: string[];
}

export interface ComponentRules {
  workloads: PolicyRule[];
  fleet: PolicyRule[];
  cluster: PolicyRule[];
  /** Only with `--install-crd` (chart value `installCrd: true`). */
  installCrd: PolicyRule[];
}

export type Component =
  'controller' | 'manager' | 'eventSink' | 'webhook' | 'webhookFence' | 'initCerts' | 'initCertsFence';

const WF = 'flotilla.io';

/**
 * Placeholders in `resourceNames`, replaced by the release's object names: by the chart
 * (`replace` in templates/rbac.yaml) and by {@link expectedRules} (`settings.names`).
 */
export const WEBHOOK_SECRET_NAME = '{webhookSecret}';
export const WEBHOOK_CONFIG_NAME = '{webhookConfig}';
export const FENCE_CONFIG_NAME = '{fenceConfig}';

/**
 * The components whose `fleet` rules apply in the webhook's namespace (the release namespace: its
 * Secret). `webhookFence` is not one: the shard leases it reads are in the fleet's namespace.
 */
const WEBHOOK_COMPONENTS: readonly Component[] = ['webhook', 'initCerts'];
const LEASES = 'coordination.k8s.io';

/** Every component's permissions, with the call that needs each. */
export const requiredRules: Readonly<Record<Component, ComponentRules>> = {
  controller: {
    workloads: [
      // informer list/watch per shard (src/kube/informer), read-through get and child
      // workflow create/delete (src/kube/workflow-client.ts WorkflowClient.get/create/delete),
      // finalizers and labels by merge patch (WorkflowClient.mergePatch).
      { apiGroups: [WF], resources: ['workflows'], verbs: ['get', 'list', 'watch', 'create', 'delete', 'patch'] },
      // guarded status write: PUT /status with resourceVersion (WorkflowClient.replaceStatus).
      { apiGroups: [WF], resources: ['workflows/status'], verbs: ['update'] },
      // the pod plugin: create/get/delete task pods (src/plugins/pod), pod informer list/watch.
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      // Kubernetes Events: create, read an existing one and patch its count (src/controller/k8s-events.ts).
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'get', 'patch'] },
      // offloaded node outputs (src/controller/adapters/output-store.ts): create, read, replace on upsert.
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'update'] },
      // `--flyte`: FlyteWorkflow informers list/watch per shard, read-through get, and the whole-object
      // PUT with resourceVersion (no status subresource), and the create of a launch plan's child
      // without FlyteAdmin (src/controller/flyte/client.ts, local-launcher.ts).
      {
        apiGroups: ['flyte.lyft.com'],
        resources: ['flyteworkflows'],
        verbs: ['get', 'list', 'watch', 'create', 'update'],
      },
      // the PodTemplate store (src/controller/pod-templates.ts): one informer over every namespace's
      // podtemplates (a task's template in its namespace, the default one in the controller's).
      { apiGroups: [''], resources: ['podtemplates'], verbs: ['list', 'watch'] },
    ],
    fleet: [
      // the PodTemplate store: the default template lives in the controller's own namespace, which a
      // list of watched namespaces may leave out (src/controller/pod-templates.ts).
      { apiGroups: [''], resources: ['podtemplates'], verbs: ['list', 'watch'] },
      // member lease renew/leave and shard lease acquire/release (shard-manager/replica/membership,
      // shard-manager/replica/ownership-loop, leases/lease-client.ts), lease informer (leases/lease-informer.ts).
      { apiGroups: [LEASES], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'] },
    ],
    cluster: [],
    installCrd: [
      // `--install-crd`: read the CRD, create it when missing.
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'create'] },
    ],
  },
  manager: {
    workloads: [
      // the labeller (shard-manager/manager/labeller.ts): informer list/watch of unlabelled
      // Workflows, merge patch of the shard label.
      { apiGroups: [WF], resources: ['workflows'], verbs: ['list', 'watch', 'patch'] },
    ],
    fleet: [
      // leader election (election/leader-elector.ts), shard lease create and assignment
      // annotations (manager/manager.ts), lease informer (leases/lease-informer.ts).
      { apiGroups: [LEASES], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
    ],
    cluster: [],
    installCrd: [],
  },
  eventSink: {
    workloads: [
      // SignalService (src/signals/workflows.ts): read the Workflow, merge-patch the signal.
      { apiGroups: [WF], resources: ['workflows'], verbs: ['get', 'patch'] },
    ],
    fleet: [],
    cluster: [],
    installCrd: [],
  },
  webhook: {
    // The admission webhook only answers AdmissionReviews. In the chart its certificate is the
    // init-certs Secret mounted as files (`--tls-cert-file/--tls-key-file`): no API calls. (Run
    // with `--tls-secret ns/name` instead it reads that one Secret: `get secrets/<name>`, not
    // granted by the chart.)
    // Pods asking for secrets (src/webhook/secrets.ts): it reads each Secret a Pod names, in the
    // Pod's namespace, to refuse a Pod whose Secret or key is missing (a clear node failure instead
    // of a Pod that never starts). Only `get`, never list.
    workloads: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    fleet: [],
    cluster: [],
    installCrd: [],
  },
  webhookFence: {
    workloads: [],
    // `--fence` (src/webhook/fence.ts LeaseEpochs): reads the shard lease of each fenced write by
    // name (LeaseClient.get), in the fleet's namespace. Only `get`: it never lists or watches,
    // because a cache could lag the very takeover the check must see.
    fleet: [{ apiGroups: [LEASES], resources: ['leases'], verbs: ['get'] }],
    cluster: [],
    installCrd: [],
  },
  initCerts: {
    workloads: [],
    fleet: [
      // src/webhook/init-certs.ts, in the webhook's namespace: createNamespacedSecret when missing
      // (RBAC cannot limit create by name) ...
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      // ... and only its own Secret: readNamespacedSecret, replaceNamespacedSecret on rotation,
      // deleteNamespacedSecret when a Secret of the wrong type must be re-created.
      {
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['get', 'update', 'delete'],
        resourceNames: [WEBHOOK_SECRET_NAME],
      },
    ],
    cluster: [
      // patchBundle: read{Mutating,Validating}WebhookConfiguration, then replace (PUT) with the
      // caBundle; only the release's own configurations.
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
        verbs: ['get', 'update'],
        resourceNames: [WEBHOOK_CONFIG_NAME],
      },
    ],
    installCrd: [],
  },
  initCertsFence: {
    workloads: [],
    fleet: [],
    // `--fence-config`: patchBundle on the fence's ValidatingWebhookConfiguration, by name only.
    cluster: [
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations'],
        verbs: ['get', 'update'],
        resourceNames: [FENCE_CONFIG_NAME],
      },
    ],
    installCrd: [],
  },
};

/** The chart's view of the settings that change which rules exist and where. */
export interface RbacSettings {
  /** Namespaces the fleet watches; empty = all (ClusterRoles). @defaultValue [] */
  watchNamespaces?: readonly string[];
  /** The namespace the fleet runs in (Leases, Secrets). */
  fleetNamespace: string;
  /** Controller creates the CRD itself. @defaultValue false */
  installCrd?: boolean;
  /**
   * Namespace of the webhook, its Service and Secret (where `webhook` / `initCerts` get their
   * `fleet` rules). @defaultValue fleetNamespace
   */
  webhookNamespace?: string;
  /**
   * Values of the `resourceNames` placeholders.
   * @defaultValue `{ webhookSecret: 'flotilla-webhook-tls', webhookConfig: 'flotilla-workflows', fenceConfig: 'flotilla-fence' }`
   */
  names?: { webhookSecret: string; webhookConfig: string; fenceConfig: string };
}

const defaultNames = {
  webhookSecret: 'flotilla-webhook-tls',
  webhookConfig: 'flotilla-workflows',
  fenceConfig: 'flotilla-fence',
};

function resolveName(name: string, settings: RbacSettings): string {
  const names = settings.names ?? defaultNames;
  if (name === WEBHOOK_SECRET_NAME) return names.webhookSecret;
  if (name === WEBHOOK_CONFIG_NAME) return names.webhookConfig;
  if (name === FENCE_CONFIG_NAME) return names.fenceConfig;
  return name;
}

/** A rule granted in one place: `namespace` undefined = cluster-wide. */
export interface ScopedRule {
  component: Component;
  namespace: string | undefined;
  apiGroup: string;
  resource: string;
  verb: Verb;
  resourceName?: string;
}

function flatten(
  component: Component,
  namespace: string | undefined,
  rules: readonly PolicyRule[],
  settings: RbacSettings,
): ScopedRule[] {
  const out: ScopedRule[] = [];
  for (const rule of rules) {
    for (const apiGroup of rule.apiGroups) {
      for (const resource of rule.resources) {
        for (const verb of rule.verbs) {
          const names = rule.resourceNames?.map((n) => resolveName(n, settings)) ?? [undefined];
          for (const resourceName of names)
            out.push({
              component,
              namespace,
              apiGroup,
              resource,
              verb,
              ...(resourceName !== undefined ? { resourceName } : {}),
            });
        }
      }
    }
  }
  return out;
}

/** Every (component, namespace, group, resource, verb) the chart must grant for these settings. */
export function expectedRules(components: readonly Component[], settings: RbacSettings): ScopedRule[] {
  const watch = settings.watchNamespaces ?? [];
  const out: ScopedRule[] = [];
  for (const c of components) {
    const r = requiredRules[c];
    if (watch.length === 0) out.push(...flatten(c, undefined, r.workloads, settings));
    else for (const ns of watch) out.push(...flatten(c, ns, r.workloads, settings));
    const own = WEBHOOK_COMPONENTS.includes(c)
      ? (settings.webhookNamespace ?? settings.fleetNamespace)
      : settings.fleetNamespace;
    out.push(...flatten(c, own, r.fleet, settings));
    out.push(...flatten(c, undefined, r.cluster, settings));
    if (settings.installCrd) out.push(...flatten(c, undefined, r.installCrd, settings));
  }
  return out;
}

/** A stable text key for a scoped rule (for sets and readable diffs). */
export function ruleKey(r: ScopedRule): string {
  const where = r.namespace === undefined ? 'cluster' : `ns/${r.namespace}`;
  const group = r.apiGroup === '' ? 'core' : r.apiGroup;
  return `${r.component} ${where} ${r.verb} ${group}/${r.resource}${r.resourceName !== undefined ? `/${r.resourceName}` : ''}`;
}

/**
 * Whether a request (verb on group/resource[/subresource] in a namespace or cluster-wide, on the
 * object `name` when known) is allowed by a component's rules under these settings, as the RBAC
 * authorizer decides it: a rule with `resourceNames` allows only requests naming that object.
 */
export function allows(
  component: Component,
  settings: RbacSettings,
  request: {
    verb: string;
    group: string;
    resource: string;
    subresource?: string | undefined;
    namespace?: string | undefined;
    name?: string | undefined;
  },
): boolean {
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  return expectedRules([component], settings).some(
    (r) =>
      r.verb === request.verb &&
      r.apiGroup === request.group &&
      r.resource === resource &&
      (r.resourceName === undefined || (request.name !== undefined && r.resourceName === request.name)) &&
      (r.namespace === undefined || r.namespace === request.namespace),
  );
}

/** The document the chart reads (`charts/flotilla/files/rbac.yaml`). */
export function chartRbacYaml(): string {
  const header = '# GENERATED from src/security/rbac.ts by `node --import tsx src/security/rbac.ts`. Do not edit.\n';
  return header + stringify(requiredRules, { lineWidth: 0 });
}

export const CHART_RBAC_FILE = 'charts/flotilla/files/rbac.yaml';

const self = fileURLToPath(import.meta.url);
if (process.argv[1] !== undefined && resolve(process.argv[1]) === self) {
  const out = resolve(fileURLToPath(new URL('../..', import.meta.url)), CHART_RBAC_FILE);
  writeFileSync(out, chartRbacYaml());
  console.log(`wrote ${out}`);
}
