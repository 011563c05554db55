/**
 * Discovery documents: /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>.
 * kubectl's aggregated-discovery Accept header gets the legacy form (Content-Type
 * application/json), which it accepts as a fallback.
 */
import { createHash } from 'node:crypto';
import type { ResourceRegistry } from './registry.js';
import type { JsonObject, ResourceType } from './types.js';
import { groupVersion } from './types.js';

export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-flotilla',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function storageVersionHash(rt: ResourceType): string {
  return createHash('sha256').update(`${rt.group}/${rt.storageVersion}/${rt.kind}`).digest('base64').slice(0, 11);
}

export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(name: string, versions: string[]): JsonObject {
  const gvs = versions.map((v) => ({ groupVersion: groupVersion(name, v), version: v }));
  return { name, versions: gvs, preferredVersion: gvs[0] };
}

export function apiGroupList(registry: ResourceRegistry): JsonObject {
  const groups = [...registry.groups()].map(([name, versions]) => apiGroup(name, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroupDoc(registry: ResourceRegistry, group: string): JsonObject | undefined {
  const versions = registry.groups().get(group);
  if (!versions) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) };
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): JsonObject | undefined {
  const types = registry.all().filter((rt) => rt.group === group && rt.versions.includes(version));
  if (types.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const rt of types.sort((a, b) => a.plural.localeCompare(b.plural))) {
    const entry: JsonObject = {
      name: rt.plural,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: allVerbs,
      storageVersionHash: storageVersionHash(rt),
    };
    if (rt.shortNames.length > 0) entry['shortNames'] = rt.shortNames;
    if (rt.categories.length > 0) entry['categories'] = rt.categories;
    resources.push(entry);
    if (rt.statusSubresource)
      resources.push({
        name: `${rt.plural}/status`,
        singularName: '',
        namespaced: rt.namespaced,
        kind: rt.kind,
        verbs: ['get', 'patch', 'update'],
      });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}
