/**
 * The chart's RBAC equals src/security/rbac.ts exactly: for each ServiceAccount, the rules its
 * Role/ClusterRole bindings grant (by namespace) are compared with `expectedRules` for the
 * components that ServiceAccount runs; a missing or an extra permission fails with a diff. Also:
 * no wildcards, and the chart's files/rbac.yaml is what rbac.ts generates.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CHART_RBAC_FILE,
  chartRbacYaml,
  expectedRules,
  ruleKey,
  type Component,
  type PolicyRule,
  type ScopedRule,
  type Verb,
} from '../../src/security/rbac.js';
import { render, repoRoot, valuesFile, type Manifest, type RenderOptions } from './helm.js';

const FLEET_NS = 'flotilla-system';

interface Binding {
  roleKind: 'Role' | 'ClusterRole';
  roleName: string;
  namespace: string | undefined;
  serviceAccounts: string[];
}

/** What each ServiceAccount is granted, as scoped-rule keys (component = the SA's name). */
function grantedBySa(manifests: readonly Manifest[]): Map<string, Set<string>> {
  const roles = new Map<string, PolicyRule[]>();
  for (const m of manifests) {
    if (m.kind === 'Role' || m.kind === 'ClusterRole')
      roles.set(
        `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`,
        (m['rules'] as PolicyRule[] | undefined) ?? [],
      );
  }
  const bindings: Binding[] = [];
  for (const m of manifests) {
    if (m.kind !== 'RoleBinding' && m.kind !== 'ClusterRoleBinding') continue;
    const ref = m['roleRef'] as { kind: 'Role' | 'ClusterRole'; name: string };
    const subjects = (m['subjects'] as { kind: string; name: string; namespace?: string }[]) ?? [];
    bindings.push({
      roleKind: ref.kind,
      roleName: ref.name,
      namespace: m.kind === 'RoleBinding' ? m.metadata.namespace : undefined,
      serviceAccounts: subjects
        .filter((s) => s.kind === 'ServiceAccount' && s.namespace === FLEET_NS)
        .map((s) => s.name),
    });
  }
  const out = new Map<string, Set<string>>();
  for (const b of bindings) {
    const rules = roles.get(`${b.roleKind}/${b.roleKind === 'Role' ? (b.namespace ?? '') : ''}/${b.roleName}`);
    assert.ok(rules, `binding to a missing ${b.roleKind} ${b.roleName} in ${b.namespace ?? 'cluster'}`);
    for (const sa of b.serviceAccounts) {
      const set = out.get(sa) ?? new Set<string>();
      for (const rule of rules) {
        for (const apiGroup of rule.apiGroups) {
          for (const resource of rule.resources) {
            for (const verb of rule.verbs) {
              const scoped: ScopedRule = {
                component: sa as Component,
                namespace: b.namespace,
                apiGroup,
                resource,
                verb: verb as Verb,
              };
              if (rule.resourceNames)
                for (const n of rule.resourceNames) set.add(ruleKey({ ...scoped, resourceName: n }));
              else set.add(ruleKey(scoped));
            }
          }
        }
      }
      out.set(sa, set);
    }
  }
  return out;
}

function expectedBySa(
  subjects: Record<string, Component[]>,
  settings: { watchNamespaces?: string[]; installCrd?: boolean },
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [sa, components] of Object.entries(subjects)) {
    const rules = expectedRules(components, { fleetNamespace: FLEET_NS, ...settings }).map((r) =>
      ruleKey({ ...r, component: sa as Component }),
    );
    out.set(sa, new Set(rules));
  }
  return out;
}

function diff(expected: Map<string, Set<string>>, actual: Map<string, Set<string>>): string[] {
  const lines: string[] = [];
  for (const sa of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(sa) ?? new Set<string>();
    const a = actual.get(sa) ?? new Set<string>();
    for (const k of [...e].filter((x) => !a.has(x)).sort()) lines.push(`missing: ${k}`);
    for (const k of [...a].filter((x) => !e.has(x)).sort()) lines.push(`extra:   ${k}`);
  }
  return lines;
}

async function compare(
  options: RenderOptions,
  subjects: Record<string, Component[]>,
  settings: { watchNamespaces?: string[]; installCrd?: boolean },
): Promise<void> {
  const { manifests } = await render(options);
  const lines = diff(expectedBySa(subjects, settings), grantedBySa(manifests));
  assert.deepEqual(lines, [], `chart RBAC differs from src/security/rbac.ts:\n${lines.join('\n')}`);
  for (const m of manifests.filter((x) => x.kind === 'Role' || x.kind === 'ClusterRole')) {
    const text = JSON.stringify(m['rules']);
    assert.doesNotMatch(text, /"\*"/, `${m.kind} ${m.metadata.name} uses a wildcard`);
  }
}

describe('chart RBAC = src/security/rbac.ts', () => {
  test('files/rbac.yaml is generated from rbac.ts (run `node --import tsx src/security/rbac.ts`)', () => {
    assert.equal(readFileSync(resolve(repoRoot, CHART_RBAC_FILE), 'utf8'), chartRbacYaml());
  });

  test('defaults: controller + embedded manager, cluster-wide workloads', async () => {
    await compare({}, { 'flotilla-controller': ['controller', 'manager'] }, {});
  });

  test('fleet-manager: controller and manager apart', async () => {
    await compare(
      { valuesFiles: [valuesFile('fleet-manager')] },
      { 'flotilla-controller': ['controller'], 'flotilla-manager': ['manager'] },
      {},
    );
  });

  test('namespaced: workloads rules as Roles in team-a and team-b only; CRD rule with installCrd', async () => {
    await compare(
      { valuesFiles: [valuesFile('namespaced')] },
      { 'flotilla-controller': ['controller', 'manager'] },
      { watchNamespaces: ['team-a', 'team-b'], installCrd: true },
    );
  });

  test('full: the event sink gets its SignalService rules', async () => {
    await compare(
      { valuesFiles: [valuesFile('full')] },
      { 'flotilla-controller': ['controller', 'manager'], 'flotilla-event-sink': ['eventSink'] },
      {},
    );
  });

  test('webhook (fence on by default): init-certs gets its Secret and configurations by name, the fence configuration too; the webhook gets Secrets and reads Leases', async () => {
    await compare(
      { valuesFiles: [valuesFile('webhook')] },
      {
        'flotilla-controller': ['controller', 'manager'],
        'flotilla-webhook': ['webhook', 'webhookFence'],
        'flotilla-init-certs': ['initCerts', 'initCertsFence'],
      },
      {},
    );
  });

  test('webhook with the fence off: no Lease read, no right to the fence configuration', async () => {
    const options = { valuesFiles: [valuesFile('webhook')], set: ['webhook.fence.enabled=false'] };
    await compare(
      options,
      {
        'flotilla-controller': ['controller', 'manager'],
        'flotilla-webhook': ['webhook'],
        'flotilla-init-certs': ['initCerts'],
      },
      {},
    );
    const granted = grantedBySa((await render(options)).manifests);
    assert.ok(![...(granted.get('flotilla-webhook') ?? [])].some((k) => k.includes('leases')));
    assert.ok(![...(granted.get('flotilla-init-certs') ?? [])].some((k) => k.includes('flotilla-fence')));
  });

  test('webhook: names follow the release; the Secret Role sits in the release namespace, not fleetNamespace; the webhook reads Secrets', async () => {
    const { manifests } = await render({ release: 'prod', set: ['webhook.enabled=true', 'fleetNamespace=leases'] });
    const lines = diff(
      new Map([
        [
          'prod-flotilla-init-certs',
          new Set(
            expectedRules(['initCerts', 'initCertsFence'], {
              fleetNamespace: 'leases',
              webhookNamespace: FLEET_NS,
              names: {
                webhookSecret: 'prod-flotilla-webhook-tls',
                webhookConfig: 'prod-flotilla-workflows',
                fenceConfig: 'prod-flotilla-fence',
              },
            }).map((r) => ruleKey({ ...r, component: 'prod-flotilla-init-certs' as Component })),
          ),
        ],
      ]),
      new Map([...grantedBySa(manifests)].filter(([sa]) => sa === 'prod-flotilla-init-certs')),
    );
    assert.deepEqual(lines, [], lines.join('\n'));
    // The webhook's rules: get Secrets (the ones task Pods ask for), cluster-wide by default, and
    // the fence's get on Leases in the fleet namespace only.
    const webhookLines = diff(
      new Map([
        [
          'prod-flotilla-webhook',
          new Set(
            expectedRules(['webhook', 'webhookFence'], { fleetNamespace: 'leases', webhookNamespace: FLEET_NS }).map(
              (r) => ruleKey({ ...r, component: 'prod-flotilla-webhook' as Component }),
            ),
          ),
        ],
      ]),
      new Map([...grantedBySa(manifests)].filter(([sa]) => sa === 'prod-flotilla-webhook')),
    );
    assert.deepEqual(webhookLines, [], webhookLines.join('\n'));
    const leaseRules = [...(grantedBySa(manifests).get('prod-flotilla-webhook') ?? [])].filter((k) =>
      k.includes('leases'),
    );
    assert.deepEqual(leaseRules, ['prod-flotilla-webhook ns/leases get coordination.k8s.io/leases']);
  });

  test('webhook under the namespace strategy: no fence, so no Lease read', async () => {
    await compare(
      { valuesFiles: [valuesFile('namespaced')], set: ['webhook.enabled=true'] },
      {
        'flotilla-controller': ['controller', 'manager'],
        'flotilla-webhook': ['webhook'],
        'flotilla-init-certs': ['initCerts'],
      },
      { watchNamespaces: ['team-a', 'team-b'], installCrd: true },
    );
  });

  test('event sink without signals has no permissions at all', async () => {
    await compare(
      { set: ['eventSink.enabled=true', 'eventSink.signals=false'] },
      { 'flotilla-controller': ['controller', 'manager'] },
      {},
    );
  });

  test('the comparison fails on a missing or an extra rule', () => {
    const expected = new Map([['sa', new Set(['a', 'b'])]]);
    const actual = new Map([['sa', new Set(['b', 'c'])]]);
    assert.deepEqual(diff(expected, actual), ['missing: a', 'extra:   c']);
  });

  test('rbac.create=false renders no RBAC objects', async () => {
    const { manifests } = await render({ set: ['rbac.create=false'] });
    assert.deepEqual(
      manifests.filter((m) => /Role/.test(m.kind)),
      [],
    );
  });
});
