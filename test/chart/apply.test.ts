/**
 * The rendered chart applies cleanly with real kubectl to the embedded API server: server-side
 * dry run, then a real apply for each value set, an upgrade that scales out, and an uninstall
 * (`kubectl delete` of the release's objects) that keeps the CRD, as `helm uninstall` does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { stringify } from 'yaml';
import { render, SERVICE_MONITOR_API, valueSets, valuesFile, type Manifest } from './helm.js';

/** A minimal stand-in for the Prometheus Operator's ServiceMonitor CRD. */
const serviceMonitorCrd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: servicemonitors.monitoring.coreos.com}
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {plural: servicemonitors, singular: servicemonitor, kind: ServiceMonitor, listKind: ServiceMonitorList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

describe('kubectl apply of the rendered chart (embedded API server)', () => {
  let s: TestApiServer;
  before(async () => {
    s = await startTestApiServer();
    for (const ns of ['flotilla-system', 'team-a', 'team-b']) {
      const r = await s.kubectl(['create', 'namespace', ns]);
      assert.equal(r.code, 0, r.stderr);
    }
    const r = await s.kubectl(['apply', '-f', '-'], { input: serviceMonitorCrd });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await s.stop();
  });

  for (const set of ['defaults', ...valueSets] as const) {
    test(`${set}: server-side dry run and apply succeed`, async () => {
      const release = `r-${set}`;
      const { text, manifests } = await render({
        release,
        valuesFiles: set === 'defaults' ? [] : [valuesFile(set)],
        apiVersions: [SERVICE_MONITOR_API],
      });
      const dry = await s.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: text });
      assert.equal(dry.code, 0, dry.stderr);
      const applied = await s.kubectl(['apply', '-f', '-'], { input: text });
      assert.equal(applied.code, 0, applied.stderr);
      // Every object is now stored where the chart put it.
      for (const m of manifests) {
        const args = [
          'get',
          `${m.kind.toLowerCase()}.${m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : ''}`.replace(/\.$/, ''),
          m.metadata.name,
          '-o',
          'name',
        ];
        if (m.metadata.namespace) args.push('-n', m.metadata.namespace);
        const got = await s.kubectl(args);
        assert.equal(got.code, 0, `${m.kind} ${m.metadata.name}: ${got.stderr}`);
      }
    });
  }

  test('upgrade with replicaCount=6 changes the stored Deployment; uninstall keeps the CRDs (helm.sh/resource-policy: keep)', async () => {
    const release = 'r-upgrade';
    const first = await render({ release });
    assert.equal((await s.kubectl(['apply', '-f', '-'], { input: first.text })).code, 0);
    const scaled = await render({ release, set: ['replicaCount=6'] });
    const r = await s.kubectl(['apply', '-f', '-'], { input: scaled.text });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment\.apps\/r-upgrade-flotilla-controller configured/);
    const replicas = await s.kubectl([
      'get',
      'deployment',
      'r-upgrade-flotilla-controller',
      '-n',
      'flotilla-system',
      '-o',
      'jsonpath={.spec.replicas}',
    ]);
    assert.equal(replicas.stdout, '6');
    // `helm uninstall` deletes every object of the release except those annotated
    // `helm.sh/resource-policy: keep` (the CRDs, with crds.keep): delete the same set.
    const kept = (m: Manifest): boolean =>
      (m.metadata as { annotations?: Record<string, string> }).annotations?.['helm.sh/resource-policy'] === 'keep';
    assert.deepEqual(
      scaled.manifests.filter(kept).map((m) => m.kind),
      ['CustomResourceDefinition', 'CustomResourceDefinition'],
    );
    const uninstalled = scaled.manifests
      .filter((m) => !kept(m))
      .map((m) => stringify(m))
      .join('---\n');
    const del = await s.kubectl(['delete', '-f', '-'], { input: uninstalled });
    assert.equal(del.code, 0, del.stderr);
    const gone = await s.kubectl(['get', 'deployment', 'r-upgrade-flotilla-controller', '-n', 'flotilla-system']);
    assert.notEqual(gone.code, 0);
    const crd = await s.kubectl(['get', 'crd', 'workflows.flotilla.io', '-o', 'name']);
    assert.equal(crd.stdout.trim(), 'customresourcedefinition.apiextensions.k8s.io/workflows.flotilla.io');
  });
});
