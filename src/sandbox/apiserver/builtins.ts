/** The built-in resource types the embedded server serves, and the namespaces present at start. */
import type { ResourceType } from './types.js';

function builtin(rt: Omit<ResourceType, 'versions' | 'listKind' | 'custom' | 'categories' | 'shortNames' | 'statusSubresource' | 'tracksGeneration'> & Partial<ResourceType>): ResourceType {
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

/** Merge keys every built-in shares (metadata). */
export const metadataMergeKeys: Record<string, string> = { 'metadata.ownerReferences': 'uid' };

export function builtinResources(): ResourceType[] {
  return [
    builtin({ group: '', storageVersion: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], statusSubresource: true, strategicMergeKeys: { 'status.conditions': 'type' } }),
    builtin({ group: '', storageVersion: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], statusSubresource: true, strategicMergeKeys: podMergeKeys }),
    builtin({ group: '', storageVersion: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'] }),
    builtin({ group: '', storageVersion: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
    builtin({ group: '', storageVersion: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true }),
    builtin({ group: '', storageVersion: 'v1', plural: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'] }),
    builtin({ group: '', storageVersion: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], statusSubresource: true, strategicMergeKeys: { 'status.conditions': 'type', 'status.addresses': 'type' } }),
    builtin({ group: 'coordination.k8s.io', storageVersion: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true }),
    builtin({ group: 'apiextensions.k8s.io', storageVersion: 'v1', plural: 'customresourcedefinitions', singular: 'customresourcedefinition', kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], statusSubresource: true, tracksGeneration: true, strategicMergeKeys: { 'status.conditions': 'type' } }),
    builtin({ group: 'admissionregistration.k8s.io', storageVersion: 'v1', plural: 'mutatingwebhookconfigurations', singular: 'mutatingwebhookconfiguration', kind: 'MutatingWebhookConfiguration', namespaced: false, categories: ['api-extensions'], tracksGeneration: true, strategicMergeKeys: { webhooks: 'name' } }),
    builtin({ group: 'admissionregistration.k8s.io', storageVersion: 'v1', plural: 'validatingwebhookconfigurations', singular: 'validatingwebhookconfiguration', kind: 'ValidatingWebhookConfiguration', namespaced: false, categories: ['api-extensions'], tracksGeneration: true, strategicMergeKeys: { webhooks: 'name' } }),
  ];
}

export const initialNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
