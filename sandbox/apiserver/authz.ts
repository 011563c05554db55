/**
 * Identities and RBAC for the embedded API server.
 *
 * The server's own token is the administrator (`system:admin` in `system:masters`, allowed
 * everything, as a real cluster's admin certificate is). Further tokens ({@link ApiUser}) are
 * ordinary users: each resource request is checked against the Roles, ClusterRoles, RoleBindings
 * and ClusterRoleBindings stored in the server, as Kubernetes' RBAC authorizer does (rules are
 * additive; `*` matches any group, resource or verb; `resourceNames` restrict by name; a
 * subresource is matched as `<resource>/<subresource>`). A denial is the real server's 403
 * Status text: `<resource>.<group> "<name>" is forbidden: User "<user>" cannot <verb> resource ...`
 * (no name for a collection).
 *
 * Not modelled: aggregated ClusterRoles, non-resource URLs (discovery, /openapi are allowed to any
 * authenticated user, as `system:discovery` does), impersonation, ServiceAccount tokens.
 */
import { timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';
import type { RequestVerb } from './faults.js';
import type { Store } from './store.js';

/** A non-administrator identity: requests with this bearer token are checked by RBAC. */
export interface ApiUser {
  readonly token: string;
  /** The user name RoleBindings name (`subjects[].kind: User`). */
  readonly name: string;
  /** Groups RoleBindings may name (`subjects[].kind: Group`). @defaultValue [] */
  readonly groups?: readonly string[];
}

export interface Identity {
  readonly name: string;
  readonly groups: readonly string[];
  /** The server's own token: allowed everything, RBAC not consulted. */
  readonly admin: boolean;
}

export interface ResourceAttributes {
  verb: RequestVerb;
  group: string;
  resource: string;
  subresource: string;
  /** '' for cluster-scoped and all-namespace requests. */
  namespace: string;
  /** '' for collections. */
  name: string;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}
interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}
interface Binding {
  roleRef?: { kind?: string; name?: string };
  subjects?: Subject[];
}

const RBAC = 'rbac.authorization.k8s.io';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The identity of a bearer token, or undefined (→ 401). */
export function authenticate(
  bearer: string | undefined,
  adminToken: string,
  users: readonly ApiUser[],
): Identity | undefined {
  if (bearer === undefined) return undefined;
  if (sameSecret(bearer, adminToken)) return { name: 'system:admin', groups: ['system:masters'], admin: true };
  const user = users.find((u) => sameSecret(bearer, u.token));
  if (!user) return undefined;
  return { name: user.name, groups: [...(user.groups ?? []), 'system:authenticated'], admin: false };
}

function matches(list: readonly string[] | undefined, value: string): boolean {
  return (list ?? []).some((item) => item === '*' || item === value);
}

function ruleAllows(rule: PolicyRule, a: ResourceAttributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  if (!matches(rule.verbs, a.verb) || !matches(rule.apiGroups, a.group)) return false;
  if (!matches(rule.resources, resource) && !(rule.resources ?? []).includes(`*/${a.subresource}`)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (a.name !== '' && names.includes(a.name));
}

function subjectIs(subject: Subject, who: Identity, bindingNamespace: string): boolean {
  if (subject.kind === 'User') return subject.name === who.name;
  if (subject.kind === 'Group') return subject.name !== undefined && who.groups.includes(subject.name);
  if (subject.kind === 'ServiceAccount')
    return who.name === `system:serviceaccount:${subject.namespace ?? bindingNamespace}:${subject.name ?? ''}`;
  return false;
}

function rulesOf(store: Store, roleRef: Binding['roleRef'], namespace: string): PolicyRule[] {
  if (!roleRef?.name) return [];
  const role =
    roleRef.kind === 'ClusterRole'
      ? store.get(`${RBAC}/clusterroles`, undefined, roleRef.name)
      : store.get(`${RBAC}/roles`, namespace, roleRef.name);
  const rules = (role as { rules?: unknown } | undefined)?.rules;
  return Array.isArray(rules) ? (rules as PolicyRule[]) : [];
}

/** True when some binding that names `who` grants a rule covering the request. */
export function rbacAllows(store: Store, who: Identity, a: ResourceAttributes): boolean {
  if (who.admin) return true;
  const grants = (bindings: unknown[], namespace: string) =>
    bindings.some((raw) => {
      const binding = raw as Binding;
      if (!(binding.subjects ?? []).some((s) => subjectIs(s, who, namespace))) return false;
      return rulesOf(store, binding.roleRef, namespace).some((rule) => ruleAllows(rule, a));
    });
  if (grants(store.list(`${RBAC}/clusterrolebindings`), '')) return true;
  return a.namespace !== '' && grants(store.list(`${RBAC}/rolebindings`, a.namespace), a.namespace);
}

/** The real server's 403 for a denied request. */
export function forbidden(who: Identity, a: ResourceAttributes): ApiError {
  const qualified = a.group === '' ? a.resource : `${a.resource}.${a.group}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace !== '' ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
  return new ApiError(
    403,
    'Forbidden',
    `${qualified}${a.name ? ` "${a.name}"` : ''} is forbidden: User "${who.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}"${scope}`,
    { name: a.name, group: a.group, kind: a.resource },
  );
}
