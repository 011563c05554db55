/**
 * charts/flotilla checked by the real helm: `helm lint --strict` and `helm template` with the
 * default values and three value sets; the schema and the chart's own checks reject wrong values
 * with a clear message; every rendered object validates against the Kubernetes schemas
 * (kubernetes-models); every container runs with the restrictive securityContext and probes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chartDir,
  helm,
  podSpecs,
  render,
  SERVICE_MONITOR_API,
  templateArgs,
  valueSets,
  valuesFile,
  type Manifest,
} from './helm.js';
import { validateManifest } from './k8s-schemas.js';

const byKind = (ms: readonly Manifest[], kind: string): Manifest[] => ms.filter((m) => m.kind === kind);
const named = (ms: readonly Manifest[], kind: string, name: string): Manifest | undefined =>
  ms.find((m) => m.kind === kind && m.metadata.name === name);
const argsOf = (ms: readonly Manifest[], deployment: string): string[] => {
  const pod = podSpecs(ms).find((p) => p.name === deployment);
  assert.ok(pod, `Deployment ${deployment} rendered`);
  return pod.spec.containers[0]?.args ?? [];
};

describe('helm lint --strict', () => {
  test('default values', async () => {
    const r = await helm(['lint', '--strict', chartDir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
  for (const set of valueSets) {
    test(`values ${set}`, async () => {
      const r = await helm(['lint', '--strict', chartDir, '--values', valuesFile(set)]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    });
  }
});

describe('helm template', () => {
  test('defaults: replicas with an embedded manager, cluster-wide RBAC, metrics Service, PDB, no optional parts', async () => {
    const { manifests } = await render();
    const controller = named(manifests, 'Deployment', 'flotilla-controller');
    assert.ok(controller);
    assert.equal((controller['spec'] as { replicas: number }).replicas, 3);
    const args = argsOf(manifests, 'flotilla-controller');
    for (const a of [
      'controller',
      '--manager',
      '--strategy=hash',
      '--shard-count=32',
      '--metrics-host=0.0.0.0',
      '--metrics-port=9090',
      '--fleet-namespace=flotilla-system',
    ])
      assert.ok(args.includes(a), `${a} in ${args.join(' ')}`);
    assert.equal(named(manifests, 'Deployment', 'flotilla-manager'), undefined);
    assert.ok(named(manifests, 'Service', 'flotilla-controller-metrics'));
    assert.ok(named(manifests, 'PodDisruptionBudget', 'flotilla-controller'));
    assert.ok(named(manifests, 'ClusterRole', 'flotilla-controller-workloads'));
    assert.ok(named(manifests, 'Role', 'flotilla-controller-fleet'));
    for (const kind of ['NetworkPolicy', 'ServiceMonitor']) assert.equal(byKind(manifests, kind).length, 0, kind);
    assert.deepEqual(
      byKind(manifests, 'CustomResourceDefinition')
        .map((m) => m.metadata.name)
        .sort(),
      ['flyteworkflows.flyte.lyft.com', 'workflows.flotilla.io'],
    );
    const env = podSpecs(manifests)[0]?.spec.containers[0]?.env ?? [];
    assert.deepEqual(
      env.find((e) => e.name === 'FLOTILLA_REDIS_URL'),
      { name: 'FLOTILLA_REDIS_URL', value: 'redis://redis-master:6379/0' },
    );
  });

  test('scale with --set replicaCount', async () => {
    const { manifests } = await render({ set: ['replicaCount=7'] });
    assert.equal((named(manifests, 'Deployment', 'flotilla-controller')?.['spec'] as { replicas: number }).replicas, 7);
  });

  test('fleet-manager: the manager in its own Deployment, Redis URL from a Secret', async () => {
    const { manifests, text } = await render({ valuesFiles: [valuesFile('fleet-manager')] });
    assert.ok(!argsOf(manifests, 'flotilla-controller').includes('--manager'));
    const margs = argsOf(manifests, 'flotilla-manager');
    for (const a of ['manager', '--join-delay=10s', '--weigh-by=queueDepth', '--shard-count=64'])
      assert.ok(margs.includes(a), `${a} in ${margs.join(' ')}`);
    assert.equal((named(manifests, 'Deployment', 'flotilla-manager')?.['spec'] as { replicas: number }).replicas, 2);
    assert.ok(named(manifests, 'Service', 'flotilla-manager-metrics'));
    assert.ok(named(manifests, 'PodDisruptionBudget', 'flotilla-manager'));
    const env = podSpecs(manifests).find((p) => p.name === 'flotilla-controller')?.spec.containers[0]?.env ?? [];
    assert.deepEqual(env.find((e) => e.name === 'FLOTILLA_REDIS_URL')?.valueFrom, {
      secretKeyRef: { name: 'flotilla-redis', key: 'url' },
    });
    assert.doesNotMatch(text, /redis:\/\//, 'no Redis URL in the manifests');
  });

  test('redis-cluster: a cluster URL, the password and the CA mounted from Secrets, never in the manifests', async () => {
    const { manifests, text } = await render({ valuesFiles: [valuesFile('redis-cluster')] });
    for (const deployment of ['flotilla-controller', 'flotilla-event-sink']) {
      const args = argsOf(manifests, deployment);
      for (const a of [
        '--redis-password-file=/etc/flotilla/redis-password/password',
        '--redis-ca-file=/etc/flotilla/redis-ca/ca.crt',
      ])
        assert.ok(args.includes(a), `${deployment}: ${a} in ${args.join(' ')}`);
      const pod = podSpecs(manifests).find((p) => p.name === deployment);
      const env = pod?.spec.containers[0]?.env ?? [];
      assert.equal(
        env.find((e) => e.name === 'FLOTILLA_REDIS_URL')?.value,
        'rediss+cluster://flotilla@redis-cluster-0.redis:6379,redis-cluster-1.redis:6379,redis-cluster-2.redis:6379',
      );
      const volumes =
        (pod?.spec as { volumes?: Array<{ name: string; secret?: { secretName: string } }> }).volumes ?? [];
      assert.equal(volumes.find((v) => v.name === 'redis-password')?.secret?.secretName, 'flotilla-redis');
      assert.equal(volumes.find((v) => v.name === 'redis-ca')?.secret?.secretName, 'flotilla-redis-ca');
    }
    assert.ok(argsOf(manifests, 'flotilla-event-sink').includes('--redis-partitions=16'));
    assert.doesNotMatch(text, /flotilla:[^@\s]+@/, 'no password in the manifests');
  });

  test('namespaced: namespace strategy, Roles in the watched namespaces, CRD permission with installCrd', async () => {
    const { manifests } = await render({ valuesFiles: [valuesFile('namespaced')] });
    const args = argsOf(manifests, 'flotilla-controller');
    for (const a of [
      '--strategy=namespace',
      '--namespaces=team-a,team-b',
      '--install-crd',
      '--workflow-ttl=168h',
      '--concurrency=16',
    ])
      assert.ok(args.includes(a), `${a} in ${args.join(' ')}`);
    assert.ok(!args.some((a) => a.startsWith('--shard-count')));
    assert.equal(named(manifests, 'ClusterRole', 'flotilla-controller-workloads'), undefined);
    const roles = byKind(manifests, 'Role').filter((m) => m.metadata.name === 'flotilla-controller-workloads');
    assert.deepEqual(roles.map((r) => r.metadata.namespace).sort(), ['team-a', 'team-b']);
    assert.ok(named(manifests, 'ClusterRole', 'flotilla-controller-cluster'));
  });

  test('full: event sink with TLS and token, NetworkPolicies, ServiceMonitor only when its API exists', async () => {
    const without = await render({ valuesFiles: [valuesFile('full')] });
    assert.equal(
      byKind(without.manifests, 'ServiceMonitor').length,
      0,
      'no ServiceMonitor without the Prometheus Operator',
    );
    const { manifests } = await render({ valuesFiles: [valuesFile('full')], apiVersions: [SERVICE_MONITOR_API] });
    assert.equal(byKind(manifests, 'ServiceMonitor').length, 1);
    const args = argsOf(manifests, 'flotilla-controller');
    for (const a of [
      '--event-sink=flotilla-event-sink.flotilla-system.svc:8089',
      '--event-sink-tls-ca=/etc/flotilla/event-sink-tls/ca.crt',
      '--event-sink-token-file=/etc/flotilla/event-sink-token/token',
      '--agent=notifier=notifier.agents.svc:8000',
    ]) {
      assert.ok(args.includes(a), `${a} in ${args.join(' ')}`);
    }
    const sink = argsOf(manifests, 'flotilla-event-sink');
    for (const a of [
      'event-sink',
      '--host=0.0.0.0',
      '--tls-cert=/etc/flotilla/tls/tls.crt',
      '--tls-key=/etc/flotilla/tls/tls.key',
      '--token-file=/etc/flotilla/token/token',
      '--kubeconfig=/etc/flotilla/kube/kubeconfig',
    ]) {
      assert.ok(sink.includes(a), `${a} in ${sink.join(' ')}`);
    }
    assert.ok(named(manifests, 'Service', 'flotilla-event-sink'));
    assert.deepEqual(
      byKind(manifests, 'NetworkPolicy')
        .map((m) => m.metadata.name)
        .sort(),
      ['flotilla-controller', 'flotilla-event-sink'],
    );
  });
});

describe('flyte values', () => {
  test('flyte.admin: --flyte, --admin-* flags and the Secrets they read, mounted read-only', async () => {
    const { manifests } = await render({
      set: [
        'flyte.enabled=true',
        'blobStore.url=s3://flyte-meta/metadata',
        'flyte.admin.enabled=true',
        'flyte.admin.endpoint=flyteadmin.flyte:81',
        'flyte.admin.caSecret=flyteadmin-ca',
        'flyte.admin.auth.type=clientSecret',
        'flyte.admin.auth.clientId=flotilla',
        'flyte.admin.auth.clientSecretName=flotilla-admin-client',
        'flyte.admin.auth.tokenUrl=https://auth.example/oauth2/token',
        'flyte.admin.auth.scopes={all}',
        'flyte.admin.producerId=fleet-a',
      ],
    });
    const args = argsOf(manifests, 'flotilla-controller');
    for (const a of [
      '--flyte',
      '--blob-store=s3://flyte-meta/metadata',
      '--admin-endpoint=flyteadmin.flyte:81',
      '--admin-producer-id=fleet-a',
      '--admin-max-inline-bytes=65536',
      '--admin-ca-file=/etc/flotilla/flyteadmin-ca/ca.crt',
      '--admin-client-id=flotilla',
      '--admin-client-secret-file=/etc/flotilla/flyteadmin-client/client_secret',
      '--admin-token-url=https://auth.example/oauth2/token',
      '--admin-scopes=all',
    ])
      assert.ok(args.includes(a), `${a} in ${args.join(' ')}`);
    assert.ok(!args.includes('--admin-insecure'));
    const text = JSON.stringify(manifests);
    assert.match(text, /"secretName":"flotilla-admin-client"/);
    assert.match(text, /"secretName":"flyteadmin-ca"/);
  });

  test('without flyte.enabled no admin flag is rendered, and an unknown auth type is refused', async () => {
    const { manifests } = await render({ set: ['flyte.admin.enabled=true', 'flyte.admin.endpoint=a:81'] });
    assert.ok(!argsOf(manifests, 'flotilla-controller').some((a) => a.startsWith('--admin') || a === '--flyte'));
    const r = await helm(['template', chartDir, '--set', 'flyte.admin.auth.type=basic']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /flyte\.admin\.auth\.type/);
  });
});

describe('values are checked', () => {
  const cases: { what: string; set: string[]; message: RegExp }[] = [
    {
      what: 'negative replicaCount',
      set: ['replicaCount=-1'],
      message: /replicaCount: Must be greater than or equal to 0/,
    },
    { what: 'unknown top-level key', set: ['replicas=3'], message: /Additional property replicas is not allowed/ },
    {
      what: 'unknown nested key',
      set: ['controller.concurrancy=3'],
      message: /controller: Additional property concurrancy is not allowed/,
    },
    {
      what: 'unknown strategy',
      set: ['sharding.strategy=round-robin'],
      message: /sharding\.strategy: sharding\.strategy must be one of the following: "hash", "namespace"/,
    },
    {
      what: 'privileged metrics port',
      set: ['metrics.port=80'],
      message: /metrics\.port: Must be greater than or equal to 1024/,
    },
    { what: 'bad duration', set: ['manager.joinDelay=soon'], message: /manager\.joinDelay: Does not match pattern/ },
    {
      what: 'unknown webhook failurePolicy',
      set: ['webhook.failurePolicy.mutating=Retry'],
      message:
        /webhook\.failurePolicy\.mutating: webhook\.failurePolicy\.mutating must be one of the following: "Ignore", "Fail"/,
    },
    {
      what: 'webhook timeout above 30 s',
      set: ['webhook.timeoutSeconds=31'],
      message: /webhook\.timeoutSeconds: Must be less than or equal to 30/,
    },
    {
      what: 'webhook timeout of 0',
      set: ['webhook.timeoutSeconds=0'],
      message: /webhook\.timeoutSeconds: Must be greater than or equal to 1/,
    },
    {
      what: 'rotation window as long as the validity',
      set: ['webhook.enabled=true', 'webhook.certificate.validityDays=30', 'webhook.certificate.rotateBeforeDays=30'],
      message: /webhook\.certificate\.rotateBeforeDays must be less than webhook\.certificate\.validityDays/,
    },
    {
      what: 'watchNamespaces with the hash strategy',
      set: ['watchNamespaces={a,b}'],
      message: /watchNamespaces is set: set sharding\.strategy=namespace/,
    },
    {
      what: 'namespace strategy without namespaces',
      set: ['sharding.strategy=namespace'],
      message: /sharding\.strategy=namespace needs watchNamespaces/,
    },
    {
      what: 'TLS without a Secret',
      set: ['eventSink.enabled=true', 'eventSink.tls.enabled=true'],
      message: /eventSink\.tls\.enabled needs eventSink\.tls\.secretName/,
    },
    { what: 'no Redis at all', set: ['redis.url='], message: /set redis\.url .* or redis\.existingSecret\.name/ },
    { what: 'a CA without TLS', set: ['redis.tls.caSecret=ca'], message: /redis\.tls\.caSecret needs a rediss/ },
    { what: 'a URL that is not Redis', set: ['redis.url=http://redis:6379'], message: /redis/ },
    {
      what: 'a catalog endpoint without a port',
      set: ['flyte.catalog.endpoint=datacatalog'],
      message: /flyte\.catalog\.endpoint: Does not match pattern/,
    },
  ];
  for (const c of cases) {
    test(`rejects ${c.what}`, async () => {
      const r = await helm(templateArgs({ set: c.set }));
      assert.notEqual(r.code, 0, `accepted: ${c.set.join(' ')}`);
      assert.match(r.stderr, c.message);
    });
  }

  test('flyte: --flyte and --blob-store on the controller, the store endpoint, region and credentials from a Secret', async () => {
    const { manifests } = await render({
      set: [
        'flyte.enabled=true',
        'blobStore.url=s3://flyte-data/propeller',
        'blobStore.endpoint=http://minio.storage:9000',
        'blobStore.region=eu-west-1',
        'blobStore.credentialsSecret=flyte-s3',
      ],
    });
    const args = argsOf(manifests, 'flotilla-controller');
    for (const a of ['--flyte', '--blob-store=s3://flyte-data/propeller'])
      assert.ok(args.includes(a), `${a} in ${args.join(' ')}`);
    const env = podSpecs(manifests).find((p) => p.name === 'flotilla-controller')?.spec.containers[0]?.env ?? [];
    assert.equal(env.find((e) => e.name === 'AWS_ENDPOINT_URL_S3')?.value, 'http://minio.storage:9000');
    assert.equal(env.find((e) => e.name === 'AWS_REGION')?.value, 'eu-west-1');
    assert.deepEqual(env.find((e) => e.name === 'AWS_SECRET_ACCESS_KEY')?.valueFrom, {
      secretKeyRef: { name: 'flyte-s3', key: 'AWS_SECRET_ACCESS_KEY' },
    });
    const defaults = argsOf((await render()).manifests, 'flotilla-controller');
    assert.ok(!defaults.includes('--flyte') && !defaults.some((a) => a.startsWith('--blob-store')), 'off by default');
  });

  test('flyte without a blob store, or with the namespace strategy, is refused naming what to set', async () => {
    const noStore = await helm(templateArgs({ set: ['flyte.enabled=true'] }));
    assert.notEqual(noStore.code, 0);
    assert.match(noStore.stderr, /flyte\.enabled needs blobStore\.url/);
    const namespaced = await helm(
      templateArgs({
        set: ['flyte.enabled=true', 'blobStore.url=s3://b/p', 'sharding.strategy=namespace', 'watchNamespaces={a}'],
      }),
    );
    assert.notEqual(namespaced.code, 0);
    assert.match(namespaced.stderr, /flyte\.enabled needs sharding\.strategy=hash/);
  });

  test('flyte.catalog: the endpoint, its CA (a mounted Secret) and the max age reach the controller', async () => {
    const { manifests } = await render({ valuesFiles: [valuesFile('full')], apiVersions: [SERVICE_MONITOR_API] });
    const deployment = manifests.find((m) => m.kind === 'Deployment' && JSON.stringify(m).includes('"controller"'));
    const text = JSON.stringify(deployment);
    for (const arg of [
      '--catalog-endpoint=datacatalog.flyte.svc:89',
      '--catalog-ca=/etc/flotilla/catalog-ca/ca.crt',
      '--catalog-max-cache-age=720h',
    ])
      assert.ok(text.includes(arg), `${arg} in ${text.slice(0, 200)}`);
    assert.ok(text.includes('"secretName":"datacatalog-ca"'));
    const insecure = await render({ set: ['flyte.catalog.endpoint=dc:89', 'flyte.catalog.insecure=true'] });
    const args = JSON.stringify(insecure.manifests);
    assert.ok(args.includes('--catalog-insecure') && !args.includes('--catalog-ca'));
    const none = JSON.stringify((await render({})).manifests);
    assert.ok(!none.includes('--catalog-'), 'no endpoint: the embedded catalog, no flags');
  });

  test('a Redis password in values is refused without echoing it', async () => {
    const r = await helm(templateArgs({ set: ['redis.url=redis://default:hunter2@redis:6379/0'] }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /redis\.url contains a password.*redis\.existingSecret\.name/);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2/);
  });
});

describe('rendered objects', () => {
  const variants: { name: string; valuesFiles: string[]; apiVersions?: string[] }[] = [
    { name: 'defaults', valuesFiles: [] },
    ...valueSets.map((s) => ({ name: s, valuesFiles: [valuesFile(s)], apiVersions: [SERVICE_MONITOR_API] })),
  ];
  test('the schema check catches a wrong object (it is not vacuous)', async () => {
    const { manifests } = await render();
    const controller = named(manifests, 'Deployment', 'flotilla-controller');
    assert.ok(controller);
    const broken = { ...controller, spec: { ...(controller['spec'] as object), replicas: 'three' } } as Manifest;
    assert.match((await validateManifest(broken)) ?? '', /Deployment\/flotilla-controller: .*replicas must be integer/);
    assert.match(
      (await validateManifest({ apiVersion: 'v9', kind: 'Nope', metadata: { name: 'x' } })) ?? '',
      /no schema/,
    );
  });

  for (const v of variants) {
    test(`${v.name}: every object validates against the Kubernetes schemas`, async () => {
      const { manifests } = await render({
        valuesFiles: v.valuesFiles,
        apiVersions: v.apiVersions ?? [],
      });
      assert.ok(manifests.length > 5);
      const problems = (await Promise.all(manifests.map(validateManifest))).filter((p) => p !== undefined);
      assert.deepEqual(problems, []);
    });

    test(`${v.name}: every container is non-root, read-only, unprivileged, seccomp'd, probed and sized`, async () => {
      const { manifests } = await render({ valuesFiles: v.valuesFiles, apiVersions: v.apiVersions ?? [] });
      const pods = podSpecs(manifests);
      assert.ok(pods.length >= 1);
      for (const { name, kind, spec } of pods) {
        assert.equal(spec.securityContext?.['runAsNonRoot'], true, `${name} pod runAsNonRoot`);
        assert.deepEqual(spec.securityContext?.['seccompProfile'], { type: 'RuntimeDefault' }, `${name} pod seccomp`);
        assert.ok(spec.serviceAccountName?.startsWith('flotilla-'), `${name} has its own ServiceAccount`);
        for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
          const sc = c.securityContext ?? {};
          const where = `${name}/${c.name}`;
          assert.equal(sc['runAsNonRoot'], true, `${where} runAsNonRoot`);
          assert.ok(typeof sc['runAsUser'] === 'number' && sc['runAsUser'] > 0, `${where} runAsUser non-zero`);
          assert.equal(sc['readOnlyRootFilesystem'], true, `${where} readOnlyRootFilesystem`);
          assert.equal(sc['allowPrivilegeEscalation'], false, `${where} allowPrivilegeEscalation`);
          assert.equal(sc['privileged'], false, `${where} privileged`);
          assert.deepEqual(sc['capabilities'], { drop: ['ALL'] }, `${where} drops all capabilities`);
          assert.deepEqual(sc['seccompProfile'], { type: 'RuntimeDefault' }, `${where} seccomp`);
          // A Job runs to completion: no probes. Every long-running container is probed.
          if (kind === 'Deployment') assert.ok(c.livenessProbe && c.readinessProbe, `${where} has probes`);
          assert.ok(c.resources?.['requests'] && c.resources['limits'], `${where} has resources`);
        }
        if (name.endsWith('-controller') || name.endsWith('-manager')) {
          const c = spec.containers[0];
          assert.deepEqual((c?.livenessProbe?.['httpGet'] as { path: string }).path, '/healthz');
          assert.deepEqual((c?.readinessProbe?.['httpGet'] as { path: string }).path, '/readyz');
          assert.equal(spec.topologySpreadConstraints?.length, 2, `${name} spreads over zones and nodes`);
        }
      }
    });
  }
});
