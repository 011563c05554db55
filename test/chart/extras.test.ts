/**
 * The chart's install-time options: CRDs as templates (`crds.install`, `crds.keep`,
 * `crds.annotations`) equal to the generated files; per-component `extraEnv`, `extraArgs`,
 * `podAnnotations`, `volumes` and `volumeMounts`; `serviceAccount.name` (+ `create: false`) to use
 * one existing account. Rendered by the real helm; objects checked against the Kubernetes schemas.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { chartDir, helm, podSpecs, render, templateArgs, type Manifest } from './helm.js';
import { validateManifest } from './k8s-schemas.js';

type Meta = Manifest['metadata'] & { annotations?: Record<string, string> };
const crdsOf = (ms: readonly Manifest[]): Manifest[] => ms.filter((m) => m.kind === 'CustomResourceDefinition');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-chart-extras-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
function valuesFileOf(name: string, values: unknown): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

describe('CRDs as templates', () => {
  test('default: both CRDs, kept on uninstall, spec and names equal to the generated files', async () => {
    const { manifests } = await render();
    const crds = crdsOf(manifests);
    const files = readdirSync(join(chartDir, 'files/crds'));
    assert.equal(crds.length, files.length);
    for (const file of files) {
      const generated = parse(readFileSync(join(chartDir, 'files/crds', file), 'utf8')) as Manifest;
      const rendered = crds.find((c) => c.metadata.name === generated.metadata.name);
      assert.ok(rendered, `${generated.metadata.name} rendered`);
      assert.deepEqual(rendered['spec'], generated['spec'], `${file}: the template changes nothing of the schema`);
      assert.equal((rendered.metadata as Meta).annotations?.['helm.sh/resource-policy'], 'keep');
      assert.equal(rendered.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm');
      assert.equal(rendered.metadata.labels?.['app.kubernetes.io/part-of'], 'flotilla');
      assert.equal(await validateManifest(rendered), undefined);
    }
  });

  test('crds.keep=false: no resource policy; crds.annotations are added', async () => {
    const { manifests } = await render({ set: ['crds.keep=false', 'crds.annotations.team=platform'] });
    const crds = crdsOf(manifests);
    assert.equal(crds.length, 2);
    for (const c of crds) assert.deepEqual((c.metadata as Meta).annotations, { team: 'platform' });
  });

  test('values without a crds block (an upgrade with --reuse-values from 0.1.0) still install and keep the CRDs', async () => {
    const { manifests } = await render({ set: ['crds=null'] });
    const crds = crdsOf(manifests);
    assert.equal(crds.length, 2);
    for (const c of crds) assert.equal((c.metadata as Meta).annotations?.['helm.sh/resource-policy'], 'keep');
  });

  test('crds.install=false: no CRD rendered', async () => {
    const { manifests } = await render({ set: ['crds.install=false'] });
    assert.deepEqual(crdsOf(manifests), []);
    assert.ok(manifests.some((m) => m.kind === 'Deployment'));
  });
});

const COMPONENTS = [
  { key: 'controller', deployment: 'flotilla-controller' },
  { key: 'manager', deployment: 'flotilla-manager' },
  { key: 'eventSink', deployment: 'flotilla-event-sink' },
  { key: 'webhook', deployment: 'flotilla-webhook' },
] as const;

function extrasOf(key: string): Record<string, unknown> {
  return {
    extraEnv: [
      { name: `EXTRA_${key.toUpperCase()}`, value: key },
      { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'creds', key: key } } },
    ],
    extraArgs: [`--log-level=debug`],
    podAnnotations: { 'example.com/component': key },
    volumes: [{ name: 'extra-config', configMap: { name: `${key}-config` } }],
    volumeMounts: [{ name: 'extra-config', mountPath: '/etc/extra', readOnly: true }],
  };
}

describe('per-component extraEnv, extraArgs, podAnnotations, volumes, volumeMounts', () => {
  test('every component carries its own extras, after the chart’s own, and still validates', async () => {
    const values: Record<string, unknown> = {
      manager: { mode: 'deployment', ...extrasOf('manager') },
      eventSink: { enabled: true, ...extrasOf('eventSink') },
      webhook: { enabled: true, ...extrasOf('webhook') },
      controller: extrasOf('controller'),
    };
    const { manifests } = await render({ valuesFiles: [valuesFileOf('extras', values)] });
    const pods = podSpecs(manifests);
    for (const { key, deployment } of COMPONENTS) {
      const workload = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === deployment);
      assert.ok(workload, `${deployment} rendered`);
      const template = (workload['spec'] as { template: { metadata: { annotations?: Record<string, string> } } })
        .template;
      assert.equal(template.metadata.annotations?.['example.com/component'], key, `${deployment} pod annotation`);
      const pod = pods.find((p) => p.name === deployment);
      assert.ok(pod);
      const container = pod.spec.containers[0];
      assert.ok(container);
      const args = container.args ?? [];
      assert.equal(args.at(-1), '--log-level=debug', `${deployment}: extra flags come last (they win)`);
      assert.deepEqual(
        container.env?.find((e) => e.name === `EXTRA_${key.toUpperCase()}`),
        { name: `EXTRA_${key.toUpperCase()}`, value: key },
      );
      assert.ok(container.env?.some((e) => e.name === 'FROM_SECRET' && e.valueFrom !== undefined));
      assert.deepEqual(
        container.volumeMounts?.find((v) => v.name === 'extra-config'),
        { name: 'extra-config', mountPath: '/etc/extra', readOnly: true },
      );
      assert.ok(
        container.volumeMounts?.some((v) => v.mountPath === '/tmp'),
        `${deployment} keeps its own mounts`,
      );
      const volume = pod.spec.volumes?.find((v) => v.name === 'extra-config') as
        { configMap?: { name: string } } | undefined;
      assert.deepEqual(volume?.configMap, { name: `${key}-config` });
      assert.equal(await validateManifest(workload), undefined);
    }
    // The init-certs Job is the webhook's helper, not a component: it takes none of the extras.
    const initCerts = pods.find((p) => p.kind === 'Job');
    assert.ok(initCerts);
    assert.equal(
      initCerts.spec.volumes?.find((v) => v.name === 'extra-config'),
      undefined,
    );
  });

  test('the schema refuses a volume named like the chart’s own, a mount without a path, an extra arg that is not a flag', async () => {
    for (const [what, values, message] of [
      [
        'volume named tmp',
        { controller: { volumes: [{ name: 'tmp', emptyDir: {} }] } },
        /controller\.volumes\.0\.name/,
      ],
      ['mount without mountPath', { manager: { volumeMounts: [{ name: 'x' }] } }, /mountPath/],
      ['arg that is not a flag', { webhook: { extraArgs: ['debug'] } }, /webhook\.extraArgs\.0/],
      [
        'env overriding the Redis URL',
        { eventSink: { extraEnv: [{ name: 'FLOTILLA_REDIS_URL', value: 'x' }] } },
        /extraEnv/,
      ],
    ] as const) {
      const r = await helm(templateArgs({ valuesFiles: [valuesFileOf(what.replace(/ /g, '-'), values)] }));
      assert.notEqual(r.code, 0, what);
      assert.match(r.stderr, message, what);
    }
  });
});

describe('serviceAccount.name', () => {
  const allOn = ['manager.mode=deployment', 'eventSink.enabled=true', 'webhook.enabled=true'];

  test('create=false with a name: no ServiceAccount rendered, every pod and binding uses the existing one', async () => {
    const { manifests } = await render({
      set: [...allOn, 'serviceAccount.create=false', 'serviceAccount.name=platform-sa'],
    });
    assert.deepEqual(
      manifests.filter((m) => m.kind === 'ServiceAccount'),
      [],
    );
    const pods = podSpecs(manifests);
    assert.equal(pods.length, 5, 'controller, manager, event sink, webhook, init-certs');
    for (const p of pods) assert.equal(p.spec.serviceAccountName, 'platform-sa', p.name);
    const bindings = manifests.filter((m) => m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding');
    assert.ok(bindings.length > 0);
    for (const b of bindings) {
      const subjects = b['subjects'] as { kind: string; name: string; namespace: string }[];
      assert.deepEqual(subjects, [{ kind: 'ServiceAccount', name: 'platform-sa', namespace: 'flotilla-system' }]);
    }
  });

  test('create=true with a name: that one account is created once', async () => {
    const { manifests } = await render({ set: [...allOn, 'serviceAccount.name=flotilla'] });
    const accounts = manifests.filter((m) => m.kind === 'ServiceAccount');
    assert.deepEqual(
      accounts.map((a) => a.metadata.name),
      ['flotilla'],
    );
    for (const p of podSpecs(manifests)) assert.equal(p.spec.serviceAccountName, 'flotilla', p.name);
  });

  test('default: one account per component, named after the release', async () => {
    const { manifests } = await render({ set: allOn });
    assert.deepEqual(
      manifests
        .filter((m) => m.kind === 'ServiceAccount')
        .map((a) => a.metadata.name)
        .sort(),
      ['flotilla-controller', 'flotilla-event-sink', 'flotilla-init-certs', 'flotilla-manager', 'flotilla-webhook'],
    );
  });
});
