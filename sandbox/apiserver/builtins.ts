/** The built-in resource types the embedded server serves, and the namespaces present at start. */
import type { ResourceType } from './types.js';

function builtin(
  rt: Omit<
    ResourceType,
    'versions' | 'listKind' | 'custom' | 'categories' | 'shortNames' | 'statusSubresource' | 'tracksGeneration'
  > &
    Partial<ResourceType>,
): ResourceType {
  return {
    versions: [rt.storageVersion],
    listKind: `${rt.kind}List`,
    custom: false,
    categories: [],
    shortNames: [],
    statusSubresource: false,
    tracksGeneration: false,
    strategicMergeKeys: {},
    ...rt,
  };
}

const podMergeKeys: Record<string, string> = {
  'spec.containers': 'name',
  'spec.initContainers': 'name',
  'spec.ephemeralContainers': 'name',
  'spec.volumes': 'name',
  'spec.imagePullSecrets': 'name',
  'spec.containers.env': 'name',
  'spec.initContainers.env': 'name',
  'spec.containers.ports': 'containerPort',
  'spec.initContainers.ports': 'containerPort',
  'spec.containers.volumeMounts': 'mountPath',
  'spec.initContainers.volumeMounts': 'mountPath',
  'spec.hostAliases': 'ip',
  'status.conditions': 'type',
  'status.containerStatuses': 'name',
  'status.initContainerStatuses': 'name',
  'status.podIPs': 'ip',
};

/** Pod template merge keys (Deployments): the pod keys under `spec.template.`. */
const templateMergeKeys: Record<string, string> = Object.fromEntries(
  Object.entries(podMergeKeys)
    .filter(([path]) => path.startsWith('spec.'))
    .map(([path, key]) => [`spec.template.${path}`, key]),
);

/** PodTemplate merge keys: the pod keys under `template.`. */
const podTemplateMergeKeys: Record<string, string> = Object.fromEntries(
  Object.entries(podMergeKeys)
    .filter(([path]) => path.startsWith('spec.'))
    .map(([path, key]) => [`template.${path}`, key]),
);

/** Merge keys every built-in shares (metadata). */
export const metadataMergeKeys: Record<string, string> = { 'metadata.ownerReferences': 'uid' };

export function builtinResources(): ResourceType[] {
  return [
    builtin({
      group: '',
      storageVersion: 'v1',
      plural: 'namespaces',
      singular: 'namespace',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      statusSubresource: true,
      strategicMergeKeys: { 'status.conditions': 'type' },
    }),
    builtin({
      group: '',
      storageVersion: 'v1',
      plural: 'pods',
      singular: 'pod',
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      statusSubresource: true,
      strategicMergeKeys: podMergeKeys,
    }),
    builtin({
      group: '',
      storageVersion: 'v1',
      plural: 'events',
      singular: 'event',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
    }),
    builtin({
      group: '',
      storageVersion: 'v1',
      plural: 'configmaps',
      singular: 'configmap',
      kind: 'ConfigMap',
      namespaced: true,
      shortNames: ['cm'],
    }),
    builtin({
      group: '',
      storageVersion: 'v1',
      plural: 'podtemplates',
      singular: 'podtemplate',
      kind: 'PodTemplate',
      namespaced: true,
      strategicMergeKeys: podTemplateMergeKeys,
    }),
    builtin({
      group: '',
      storageVersion: 'v1',
      plural: 'resourcequotas',
      singular: 'resourcequota',
      kind: 'ResourceQuota',
      namespaced: true,
      shortNames: ['quota'],
      statusSubresource: true,
    }),
    builtin({
      group: '',
      storageVersion: 'v1',
      plural: 'secrets',
      singular: 'secret',
      kind: 'Secret',
      namespaced: true,
    }),
    builtin({
      group: '',
      storageVersion: 'v1',
      plural: 'serviceaccounts',
      singular: 'serviceaccount',
      kind: 'ServiceAccount',
      namespaced: true,
      shortNames: ['sa'],
    }),
    builtin({
      group: '',
      storageVersion: 'v1',
      plural: 'nodes',
      singular: 'node',
      kind: 'Node',
      namespaced: false,
      shortNames: ['no'],
      statusSubresource: true,
      strategicMergeKeys: { 'status.conditions': 'type', 'status.addresses': 'type' },
    }),
    builtin({
      group: 'coordination.k8s.io',
      storageVersion: 'v1',
      plural: 'leases',
      singular: 'lease',
      kind: 'Lease',
      namespaced: true,
    }),
    builtin({
      group: 'apiextensions.k8s.io',
      storageVersion: 'v1',
      plural: 'customresourcedefinitions',
      singular: 'customresourcedefinition',
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      statusSubresource: true,
      tracksGeneration: true,
      strategicMergeKeys: { 'status.conditions': 'type' },
    }),
    builtin({
      group: 'admissionregistration.k8s.io',
      storageVersion: 'v1',
      plural: 'mutatingwebhookconfigurations',
      singular: 'mutatingwebhookconfiguration',
      kind: 'MutatingWebhookConfiguration',
      namespaced: false,
      categories: ['api-extensions'],
      tracksGeneration: true,
      strategicMergeKeys: { webhooks: 'name' },
    }),
    builtin({
      group: 'admissionregistration.k8s.io',
      storageVersion: 'v1',
      plural: 'validatingwebhookconfigurations',
      singular: 'validatingwebhookconfiguration',
      kind: 'ValidatingWebhookConfiguration',
      namespaced: false,
      categories: ['api-extensions'],
      tracksGeneration: true,
      strategicMergeKeys: { webhooks: 'name' },
    }),
    // Stored as plain objects (no controllers act on them), so charts and manifests apply.
    builtin({
      group: '',
      storageVersion: 'v1',
      plural: 'services',
      singular: 'service',
      kind: 'Service',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      statusSubresource: true,
      strategicMergeKeys: { 'spec.ports': 'port' },
    }),
    builtin({
      group: 'apps',
      storageVersion: 'v1',
      plural: 'deployments',
      singular: 'deployment',
      kind: 'Deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
      statusSubresource: true,
      tracksGeneration: true,
      strategicMergeKeys: { ...templateMergeKeys, 'status.conditions': 'type' },
    }),
    // Jobs (the chart's init-certs hook): stored, no controller runs them.
    builtin({
      group: 'batch',
      storageVersion: 'v1',
      plural: 'jobs',
      singular: 'job',
      kind: 'Job',
      namespaced: true,
      categories: ['all'],
      statusSubresource: true,
      tracksGeneration: true,
      strategicMergeKeys: { ...templateMergeKeys, 'status.conditions': 'type' },
    }),
    builtin({
      group: 'policy',
      storageVersion: 'v1',
      plural: 'poddisruptionbudgets',
      singular: 'poddisruptionbudget',
      kind: 'PodDisruptionBudget',
      namespaced: true,
      shortNames: ['pdb'],
      statusSubresource: true,
      tracksGeneration: true,
      strategicMergeKeys: { 'status.conditions': 'type' },
    }),
    builtin({
      group: 'networking.k8s.io',
      storageVersion: 'v1',
      plural: 'networkpolicies',
      singular: 'networkpolicy',
      kind: 'NetworkPolicy',
      namespaced: true,
      shortNames: ['netpol'],
      tracksGeneration: true,
    }),
    builtin({
      group: 'rbac.authorization.k8s.io',
      storageVersion: 'v1',
      plural: 'roles',
      singular: 'role',
      kind: 'Role',
      namespaced: true,
    }),
    builtin({
      group: 'rbac.authorization.k8s.io',
      storageVersion: 'v1',
      plural: 'rolebindings',
      singular: 'rolebinding',
      kind: 'RoleBinding',
      namespaced: true,
    }),
    builtin({
      group: 'rbac.authorization.k8s.io',
      storageVersion: 'v1',
      plural: 'clusterroles',
      singular: 'clusterrole',
      kind: 'ClusterRole',
      namespaced: false,
    }),
    builtin({
      group: 'rbac.authorization.k8s.io',
      storageVersion: 'v1',
      plural: 'clusterrolebindings',
      singular: 'clusterrolebinding',
      kind: 'ClusterRoleBinding',
      namespaced: false,
    }),
  ];
}

export const initialNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
