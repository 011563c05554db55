/**
 * RBAC authorization for the restricted identities of the embedded server (`users` option): a
 * request is allowed when a stored Role (through a RoleBinding in the request's namespace) or
 * ClusterRole (through a ClusterRoleBinding, or a RoleBinding in the namespace) has a rule
 * matching its verb, API group, resource (`pods/log` for a subresource), and name — as the real
 * authorizer does. Otherwise a 403 whose message is the real server's, word for word:
 * `leases.coordination.k8s.io is forbidden: User "alice" cannot list resource "leases" in API
 * group "coordination.k8s.io" in the namespace "flotilla-system"`.
 *
 * The server's own token stays unrestricted (system:masters). Not covered: aggregated
 * ClusterRoles, nonResourceURLs (discovery is open to every authenticated identity, as
 * system:discovery grants), escalation checks on writes of RBAC objects.
 */
import { ApiError } from './errors.js';
import { resourceKeyOf, type Store } from './store.js';
import type { KubeObject } from './types.js';

/** An identity the server knows by its bearer token. */
export interface UserInfo {
  /** `alice`, or `system:serviceaccount:<ns>:<name>` for a ServiceAccount. */
  name: string;
  groups?: readonly string[];
}

export interface RequestAttributes {
  verb: string;
  group: string;
  /** Plural resource name. */
  resource: string;
  subresource?: string | undefined;
  namespace?: string | undefined;
  name?: string | undefined;
}

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

const ROLES = resourceKeyOf('rbac.authorization.k8s.io', 'roles');
const CLUSTER_ROLES = resourceKeyOf('rbac.authorization.k8s.io', 'clusterroles');
const ROLE_BINDINGS = resourceKeyOf('rbac.authorization.k8s.io', 'rolebindings');
const CLUSTER_ROLE_BINDINGS = resourceKeyOf('rbac.authorization.k8s.io', 'clusterrolebindings');

const matches = (list: readonly string[] | undefined, value: string): boolean =>
  (list ?? []).some((v) => v === '*' || v === value);

function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  const resource = a.subresource !== undefined ? `${a.resource}/${a.subresource}` : a.resource;
  const resources = rule.resources ?? [];
  const resourceMatches =
    resources.includes('*') ||
    resources.includes(resource) ||
    (a.subresource !== undefined && resources.includes(`*/${a.subresource}`));
  if (!matches(rule.verbs, a.verb) || !matches(rule.apiGroups, a.group) || !resourceMatches) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

function subjectIs(subject: Subject, user: UserInfo): boolean {
  if (subject.kind === 'User') return subject.name === user.name;
  if (subject.kind === 'Group') return subject.name !== undefined && (user.groups ?? []).includes(subject.name);
  if (subject.kind === 'ServiceAccount')
    return user.name === `system:serviceaccount:${subject.namespace ?? ''}:${subject.name ?? ''}`;
  return false;
}

function rulesOf(store: Store, roleRef: { kind?: string; name?: string }, namespace?: string): PolicyRule[] {
  const name = roleRef.name ?? '';
  const role =
    roleRef.kind === 'ClusterRole' ? store.get(CLUSTER_ROLES, undefined, name) : store.get(ROLES, namespace, name);
  return ((role?.['rules'] as PolicyRule[] | undefined) ?? []).filter((r) => typeof r === 'object' && r !== null);
}

function bindsUser(binding: KubeObject, user: UserInfo): boolean {
  return ((binding['subjects'] as Subject[] | undefined) ?? []).some((s) => subjectIs(s, user));
}

/** Whether the stored RBAC objects allow `user` the request. */
export function rbacAllows(store: Store, user: UserInfo, a: RequestAttributes): boolean {
  const roleRef = (b: KubeObject) => (b['roleRef'] as { kind?: string; name?: string } | undefined) ?? {};
  for (const binding of store.list(CLUSTER_ROLE_BINDINGS)) {
    if (bindsUser(binding, user) && rulesOf(store, roleRef(binding)).some((r) => ruleAllows(r, a))) return true;
  }
  if (a.namespace === undefined) return false;
  for (const binding of store.list(ROLE_BINDINGS, a.namespace)) {
    if (bindsUser(binding, user) && rulesOf(store, roleRef(binding), a.namespace).some((r) => ruleAllows(r, a)))
      return true;
  }
  return false;
}

/** The real API server's 403 for a request RBAC refused. */
export function forbidden(user: UserInfo, a: RequestAttributes): ApiError {
  const qualified = a.group === '' ? a.resource : `${a.resource}.${a.group}`;
  const target = a.name !== undefined ? `${qualified} "${a.name}"` : qualified;
  const resource = a.subresource !== undefined ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace !== undefined ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return new ApiError(
    403,
    'Forbidden',
    `${target} is forbidden: User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`,
    { ...(a.name !== undefined ? { name: a.name } : {}), group: a.group, kind: a.resource },
  );
}
