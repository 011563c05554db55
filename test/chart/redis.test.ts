/**
 * The chart's own Redis (`redis.deploy.enabled`), checked by the real helm: a StatefulSet and a
 * Service the replicas and the event sink are pointed at, `noeviction`, the password from
 * `redis.passwordSecret` (never in the manifests), persistence on a claim, a NetworkPolicy that
 * admits only the fleet, the restrictive securityContext, every object valid against the
 * Kubernetes schemas; and the combinations it refuses with a clear message.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chartDir, helm, podSpecs, render, templateArgs, type ContainerLike, type Manifest } from './helm.js';
import { validateManifest } from './k8s-schemas.js';

const URL = 'redis://flotilla-redis.flotilla-system.svc:6379/0';

interface StatefulSetLike {
  spec: {
    replicas: number;
    serviceName: string;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        automountServiceAccountToken?: boolean;
        securityContext?: Record<string, unknown>;
        containers: (ContainerLike & { command?: string[] })[];
        volumes?: { name: string; emptyDir?: unknown }[];
      };
    };
    volumeClaimTemplates?: { metadata: { name: string }; spec: { resources: { requests: { storage: string } } } }[];
  };
}

const find = (ms: readonly Manifest[], kind: string, name: string): Manifest | undefined =>
  ms.find((m) => m.kind === kind && m.metadata.name === name);

function redisUrlOf(container: ContainerLike | undefined): unknown {
  return container?.env?.find((e) => e.name === 'FLOTILLA_REDIS_URL');
}

describe("the chart's own Redis (redis.deploy)", () => {
  test('helm lint --strict passes with it enabled', async () => {
    const r = await helm([
      'lint',
      '--strict',
      chartDir,
      '--set',
      'redis.deploy.enabled=true',
      '--set',
      'redis.passwordSecret.name=flotilla-redis',
      '--set',
      'redis.deploy.persistence.enabled=true',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('with a password Secret, persistence and network policies: the fleet uses it, the password stays in the Secret', async () => {
    const { manifests, text } = await render({
      set: [
        'redis.deploy.enabled=true',
        'redis.passwordSecret.name=flotilla-redis',
        'redis.passwordSecret.key=pw',
        'redis.deploy.persistence.enabled=true',
        'redis.deploy.persistence.size=2Gi',
        'redis.deploy.maxmemory=200mb',
        'networkPolicy.enabled=true',
        'eventSink.enabled=true',
      ],
    });
    for (const m of manifests) assert.equal(await validateManifest(m), undefined);

    const service = find(manifests, 'Service', 'flotilla-redis');
    const sts = find(manifests, 'StatefulSet', 'flotilla-redis') as (Manifest & StatefulSetLike) | undefined;
    assert.ok(service && sts, 'a Service and a StatefulSet named flotilla-redis');
    const serviceSpec = service['spec'] as { selector: Record<string, string>; ports: { port: number }[] };
    assert.deepEqual(
      serviceSpec.ports.map((p) => p.port),
      [6379],
    );
    const podLabels = sts.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(serviceSpec.selector)) assert.equal(podLabels[k], v, `Service selects ${k}`);
    assert.equal(sts.spec.replicas, 1);

    const pod = sts.spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.securityContext?.['runAsNonRoot'], true);
    const redis = pod.containers[0];
    assert.ok(redis);
    assert.deepEqual(redis.command, ['redis-server']);
    const args = redis.args ?? [];
    const flag = (name: string) => args[args.indexOf(name) + 1];
    assert.equal(flag('--maxmemory-policy'), 'noeviction');
    assert.equal(flag('--maxmemory'), '200mb');
    assert.equal(flag('--appendonly'), 'yes');
    assert.equal(flag('--requirepass'), '$(REDIS_PASSWORD)');
    assert.ok(!args.includes('--protected-mode'), 'protected mode stays on with a password');
    assert.deepEqual(redis.env, [
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'flotilla-redis', key: 'pw' } } },
    ]);
    assert.equal(redis.securityContext?.['readOnlyRootFilesystem'], true);
    assert.equal(redis.securityContext?.['allowPrivilegeEscalation'], false);
    assert.ok(redis.livenessProbe && redis.readinessProbe, 'probes');
    assert.deepEqual(redis.volumeMounts, [{ name: 'data', mountPath: '/data' }]);
    assert.equal(sts.spec.volumeClaimTemplates?.[0]?.metadata.name, 'data');
    assert.equal(sts.spec.volumeClaimTemplates?.[0]?.spec.resources.requests.storage, '2Gi');

    // The replicas and the event sink: the Service's URL, the same password as a file.
    for (const name of ['flotilla-controller', 'flotilla-event-sink']) {
      const spec = podSpecs(manifests).find((p) => p.name === name)?.spec;
      const container = spec?.containers[0];
      assert.deepEqual(redisUrlOf(container), { name: 'FLOTILLA_REDIS_URL', value: URL }, name);
      assert.ok(container?.args?.includes('--redis-password-file=/etc/flotilla/redis-password/pw'), name);
      assert.equal(spec?.volumes?.find((v) => v.name === 'redis-password')?.secret?.secretName, 'flotilla-redis');
    }

    // Only the fleet may reach it.
    const policy = find(manifests, 'NetworkPolicy', 'flotilla-redis');
    assert.ok(policy, 'a NetworkPolicy for the Redis');
    const from = (policy['spec'] as { ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[] })
      .ingress[0]?.from;
    assert.deepEqual(
      from?.map((f) => f.podSelector.matchLabels['app.kubernetes.io/component']),
      ['controller', 'event-sink'],
    );
    assert.doesNotMatch(text, /requirepass [^$]/, 'no password in the manifests');
  });

  test('without a password: protected mode off (pods reach it), an emptyDir, no claim', async () => {
    const { manifests } = await render({ set: ['redis.deploy.enabled=true'] });
    const sts = find(manifests, 'StatefulSet', 'flotilla-redis') as (Manifest & StatefulSetLike) | undefined;
    assert.ok(sts);
    const args = sts.spec.template.spec.containers[0]?.args ?? [];
    assert.equal(args[args.indexOf('--protected-mode') + 1], 'no');
    assert.equal(args[args.indexOf('--save') + 1], '');
    assert.ok(!args.includes('--requirepass'));
    assert.deepEqual(sts.spec.template.spec.volumes, [{ name: 'data', emptyDir: {} }]);
    assert.equal(sts.spec.volumeClaimTemplates, undefined);
    const controller = podSpecs(manifests).find((p) => p.name === 'flotilla-controller')?.spec.containers[0];
    assert.deepEqual(redisUrlOf(controller), { name: 'FLOTILLA_REDIS_URL', value: URL });
  });

  test('disabled (the default): no Redis objects, the external URL', async () => {
    const { manifests } = await render();
    assert.equal(find(manifests, 'StatefulSet', 'flotilla-redis'), undefined);
    assert.equal(find(manifests, 'Service', 'flotilla-redis'), undefined);
    const controller = podSpecs(manifests).find((p) => p.name === 'flotilla-controller')?.spec.containers[0];
    assert.deepEqual(redisUrlOf(controller), { name: 'FLOTILLA_REDIS_URL', value: 'redis://redis-master:6379/0' });
  });

  const refused = [
    {
      what: 'a URL Secret beside it',
      set: ['redis.deploy.enabled=true', 'redis.existingSecret.name=flotilla-redis'],
      message: /redis\.deploy\.enabled deploys a Redis .* unset redis\.existingSecret\.name/,
    },
    {
      what: 'TLS',
      set: ['redis.deploy.enabled=true', 'redis.url=rediss://r:6379', 'redis.tls.caSecret=ca'],
      message: /no TLS, no Sentinel.*redis\.tls\.caSecret/,
    },
    {
      what: 'a sentinel password',
      set: ['redis.deploy.enabled=true', 'redis.sentinelPasswordSecret.name=s'],
      message: /no TLS, no Sentinel/,
    },
    {
      what: 'a bad maxmemory',
      set: ['redis.deploy.enabled=true', 'redis.deploy.maxmemory=lots'],
      message: /maxmemory/,
    },
    {
      what: 'an unknown key',
      set: ['redis.deploy.enabled=true', 'redis.deploy.replicas=3'],
      message: /replicas/,
    },
  ];
  for (const { what, set, message } of refused) {
    test(`refused with a clear message: ${what}`, async () => {
      const r = await helm(templateArgs({ set }));
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, message);
    });
  }
});
