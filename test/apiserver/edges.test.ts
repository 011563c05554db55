/**
 * The embedded API server's edges, each as the Kubernetes API documentation and the real
 * kube-apiserver answer them, through client-node and the real kubectl:
 *  - a body over 3 MiB is a 413 `RequestEntityTooLarge` Status ("Request entity too large: limit
 *    is 3145728"), not a reset connection;
 *  - ObjectMeta is decoded into Go types: a name that is not a string, labels that are not a
 *    string map, are a 400 `BadRequest` (`json: cannot unmarshal …`);
 *  - names are validated per kind (Namespace: RFC 1123 label; Service: RFC 1035 label; RBAC: path
 *    segment; the rest, custom resources included: RFC 1123 subdomain), labels as qualified names
 *    and label values: 422 `Invalid` with `metadata.name` / `metadata.labels` causes;
 *  - object-count quotas (`configmaps`, `count/secrets`, `count/workflows.flotilla.io`): 403
 *    "exceeded quota: Q, requested: R=1, used: R=N, limited: R=N";
 *  - printer columns whose JSONPath escapes a dot (`.metadata.labels.flotilla\.io/shard`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { evalJsonPath } from '../../sandbox/apiserver/table.js';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import type { KubectlResult } from '../support/kubectl.js';

const ns = 'edges';
const limit = 3 * 1024 * 1024;

interface Status {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ field?: string; reason?: string; message?: string }> };
}

function statusOf(error: unknown): Status {
  assert.ok(error instanceof ApiException, String(error));
  return (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as Status;
}

const refusal = (p: Promise<unknown>): Promise<Status> =>
  p.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => statusOf(e),
  );

function failed(result: KubectlResult, what: string): string {
  assert.equal(result.code, 1, `${what} should fail with exit 1, got ${result.code}: ${result.stdout}${result.stderr}`);
  return result.stderr;
}

function ok(result: KubectlResult, what: string): string {
  assert.equal(result.code, 0, `${what} failed (exit ${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** One row of `kubectl get` output as column → cell (columns are separated by 2+ spaces). */
function row(output: string, name: string): Record<string, string> {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0] ?? '';
  const starts = [...header.matchAll(/\S+/g)].map((m) => m.index);
  const line = lines.find((l) => l.startsWith(`${name} `)) ?? assert.fail(`no row ${name} in\n${output}`);
  return Object.fromEntries(
    starts.map((s, i) => [header.slice(s).split(/\s/)[0] ?? '', line.slice(s, starts[i + 1]).trim()]),
  );
}

const configMap = (name: unknown, metadata: Record<string, unknown> = {}, data: Record<string, string> = {}): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...metadata }, data });

const workflow = (name: string, labels: Record<string, string> = {}): string =>
  JSON.stringify({
    apiVersion: 'flotilla.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace: ns, labels },
    spec: { tasks: { say: { plugin: 'echo' } }, nodes: [{ id: 'greet', kind: 'task', task: 'say' }] },
  });

describe('embedded API server edges, as the real one answers', () => {
  let api: TestApiServer;
  let core: CoreV1Api;
  let k: TestApiServer['kubectl'];
  before(async () => {
    api = await startTestApiServer();
    core = api.kc.makeApiClient(CoreV1Api);
    k = api.kubectl;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    ok(
      await k([
        'apply',
        '-f',
        'charts/flotilla/files/crds/workflows.flotilla.io.yaml',
        '-f',
        'charts/flotilla/files/crds/flyteworkflows.flyte.lyft.com.yaml',
      ]),
      'apply CRDs',
    );
    ok(
      await k([
        'wait',
        '--for=condition=Established',
        'crd/workflows.flotilla.io',
        'crd/flyteworkflows.flyte.lyft.com',
      ]),
      'wait for CRDs',
    );
  });
  after(async () => {
    await api?.stop();
  });

  test('a body over 3 MiB is a 413 RequestEntityTooLarge Status, and the server answers on', async () => {
    const big: V1ConfigMap = { metadata: { name: 'big' }, data: { blob: 'x'.repeat(limit + 1024) } };
    const status = await refusal(core.createNamespacedConfigMap({ namespace: ns, body: big }));
    assert.equal(status.kind, 'Status');
    assert.equal(status.code, 413);
    assert.equal(status.reason, 'RequestEntityTooLarge');
    assert.equal(status.message, 'Request entity too large: limit is 3145728');

    const stderr = failed(
      await k(['create', '-f', '-'], { input: configMap('big', {}, { blob: 'y'.repeat(limit) }) }),
      'kubectl create of a big ConfigMap',
    );
    assert.match(stderr, /Error from server \(RequestEntityTooLarge\).*Request entity too large: limit is 3145728/);
    await assert.rejects(
      core.readNamespacedConfigMap({ namespace: ns, name: 'big' }),
      (e: unknown) => statusOf(e).code === 404,
    );
    // Just under the limit is stored.
    const fits = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'fits' }, data: { blob: 'z'.repeat(limit - 1024) } },
    });
    assert.equal(fits.metadata?.name, 'fits');
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'fits' });
  });

  test('a metadata.name that is not a string, labels that are not a string map: 400 BadRequest (decode)', async () => {
    const numeric = await refusal(
      core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 123 as unknown as string } } }),
    );
    assert.equal(numeric.code, 400);
    assert.equal(numeric.reason, 'BadRequest');
    assert.equal(
      numeric.message,
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string',
    );

    // kubectl decodes a built-in kind itself, with the same Go decoder: its words are the server's.
    const local = failed(
      await k(['create', '-f', '-'], { input: configMap(123) }),
      'kubectl create with a numeric name',
    );
    assert.equal(
      local,
      `error: unable to decode "STDIN": ${(numeric.message ?? '').replace(/^.*?: json:/, 'json:')}\n`,
    );

    // kubectl decodes custom resources' metadata too; `create --raw` sends the body as it is.
    const raw = (path: string, body: string): Promise<KubectlResult> =>
      k(['create', '--raw', path, '-f', '-'], { input: body });
    const local2 = failed(
      await k(['create', '-f', '-'], { input: workflow('labelled').replace('"labels":{}', '"labels":{"n":5}') }),
      'kubectl create with a number label value',
    );
    assert.match(
      local2,
      /json: cannot unmarshal number into Go struct field ObjectMeta\.metadata\.labels of type string/,
    );
    const numberLabel = failed(
      await raw(`/api/v1/namespaces/${ns}/configmaps`, configMap('labelled', { labels: { n: 5 } })),
      'a number label value',
    );
    assert.match(
      numberLabel,
      /Error from server \(BadRequest\).*ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta\.metadata\.labels of type string/,
    );
    // (client-node would send labels: "x" as {"0": "x"}: its serializer walks the string as a map.)
    const stringLabels = failed(
      await raw(`/api/v1/namespaces/${ns}/configmaps`, configMap('labelled', { labels: 'x' })),
      'labels that are a string',
    );
    assert.match(
      stringLabels,
      /Error from server \(BadRequest\).*cannot unmarshal string into Go struct field ObjectMeta\.metadata\.labels of type map\[string\]string/,
    );

    const wf = failed(
      await raw(
        `/apis/flotilla.io/v1alpha1/namespaces/${ns}/workflows`,
        workflow('x').replace('"name":"x"', '"name":7'),
      ),
      'a Workflow with a numeric name',
    );
    assert.match(
      wf,
      /BadRequest.*Workflow in version "v1alpha1" cannot be handled as a Workflow: json: cannot unmarshal number into Go struct field ObjectMeta\.metadata\.name of type string/,
    );
    await assert.rejects(
      core.readNamespacedConfigMap({ namespace: ns, name: 'labelled' }),
      (e: unknown) => statusOf(e).code === 404,
    );
  });

  test("a name that breaks its kind's rule is a 422 with a metadata.name cause", async () => {
    const sub = await refusal(
      core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'Bad_Name' } } }),
    );
    assert.equal(sub.code, 422);
    assert.equal(sub.reason, 'Invalid');
    assert.deepEqual(
      sub.details?.causes?.map((c) => [c.reason, c.field]),
      [['FieldValueInvalid', 'metadata.name']],
    );
    assert.match(
      sub.message ?? '',
      /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '\.', and must start and end with an alphanumeric character/,
    );

    const long = await refusal(
      core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'a'.repeat(254) } } }),
    );
    assert.match(long.message ?? '', /must be no more than 253 characters/);

    // Namespaces: an RFC 1123 label (a dotted subdomain is refused); Services: an RFC 1035 label.
    const dotted = await refusal(core.createNamespace({ body: { metadata: { name: 'a.b' } } }));
    assert.match(
      dotted.message ?? '',
      /^Namespace "a\.b" is invalid: metadata\.name: Invalid value: "a\.b": a lowercase RFC 1123 label must consist of/,
    );
    const svc = await refusal(
      core.createNamespacedService({
        namespace: ns,
        body: { metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } },
      }),
    );
    assert.match(
      svc.message ?? '',
      /a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/,
    );
    // A dotted pod name is a valid subdomain; RBAC names are path segments (colons are fine).
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dotted.name' } } });
    await api.kc
      .makeApiClient(RbacAuthorizationV1Api)
      .createClusterRole({ body: { metadata: { name: 'system:flotilla:reader' }, rules: [] } });

    const wf = failed(
      await k(['create', '-f', '-'], { input: workflow('Bad_Name') }),
      'a Workflow with an invalid name',
    );
    assert.match(
      wf,
      /The Workflow "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
  });

  test('invalid label keys and values are a 422 with metadata.labels causes', async () => {
    const status = await refusal(
      core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'labels', labels: { 'bad key': 'v', ok: 'bad value!' } } },
      }),
    );
    assert.equal(status.code, 422);
    assert.deepEqual(
      status.details?.causes?.map((c) => c.field),
      ['metadata.labels', 'metadata.labels'],
    );
    assert.match(
      status.message ?? '',
      /Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '\.', and must start and end with an alphanumeric character \(e\.g\. 'MyName', {2}or 'my\.name', {2}or '123-abc', regex used for validation is '\(\[A-Za-z0-9\]\[-A-Za-z0-9_\.\]\*\)\?\[A-Za-z0-9\]'\)/,
    );
    assert.match(
      status.message ?? '',
      /Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters/,
    );
    const stderr = failed(
      await k(['create', '-f', '-'], { input: configMap('labels', { labels: { 'Example.com/x': 'v' } }) }),
      'a label key with an invalid prefix',
    );
    assert.match(
      stderr,
      /metadata\.labels: Invalid value: "Example\.com\/x": prefix part a lowercase RFC 1123 subdomain/,
    );
  });

  test('object-count quotas: 403 exceeded quota for ConfigMaps, Secrets and Workflows, usage in status', async () => {
    const quotaNs = 'edges-quota';
    await core.createNamespace({ body: { metadata: { name: quotaNs } } });
    await core.createNamespacedResourceQuota({
      namespace: quotaNs,
      body: {
        metadata: { name: 'objects' },
        spec: { hard: { configmaps: '2', 'count/secrets': '1', 'count/workflows.flotilla.io': '1' } },
      },
    });
    for (const name of ['one', 'two'])
      await core.createNamespacedConfigMap({ namespace: quotaNs, body: { metadata: { name } } });
    const cm = await refusal(
      core.createNamespacedConfigMap({ namespace: quotaNs, body: { metadata: { name: 'three' } } }),
    );
    assert.equal(cm.code, 403);
    assert.equal(cm.reason, 'Forbidden');
    assert.equal(
      cm.message,
      'configmaps "three" is forbidden: exceeded quota: objects, requested: configmaps=1, used: configmaps=2, limited: configmaps=2',
    );

    await core.createNamespacedSecret({ namespace: quotaNs, body: { metadata: { name: 's1' } } });
    const secret = failed(await k(['-n', quotaNs, 'create', 'secret', 'generic', 's2']), 'a second Secret');
    assert.match(
      secret,
      /secrets "s2" is forbidden: exceeded quota: objects, requested: count\/secrets=1, used: count\/secrets=1, limited: count\/secrets=1/,
    );

    const wf = (name: string): string => workflow(name).replace(`"namespace":"${ns}"`, `"namespace":"${quotaNs}"`);
    ok(await k(['create', '-f', '-'], { input: wf('wf-1') }), 'the first Workflow');
    const second = failed(await k(['create', '-f', '-'], { input: wf('wf-2') }), 'a second Workflow');
    assert.match(
      second,
      /workflows\.flotilla\.io "wf-2" is forbidden: exceeded quota: objects, requested: count\/workflows\.flotilla\.io=1, used: count\/workflows\.flotilla\.io=1, limited: count\/workflows\.flotilla\.io=1/,
    );
    await assert.rejects(
      api.kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group: 'flotilla.io',
        version: 'v1alpha1',
        namespace: quotaNs,
        plural: 'workflows',
        name: 'wf-2',
      }),
    );

    const quota = await core.readNamespacedResourceQuota({ namespace: quotaNs, name: 'objects' });
    assert.deepEqual(quota.status?.used, { configmaps: '2', 'count/secrets': '1', 'count/workflows.flotilla.io': '1' });
    // A deletion frees its count.
    await core.deleteNamespacedConfigMap({ namespace: quotaNs, name: 'one' });
    await core.createNamespacedConfigMap({ namespace: quotaNs, body: { metadata: { name: 'three' } } });
    const described = ok(await k(['-n', quotaNs, 'describe', 'quota', 'objects']), 'describe quota');
    assert.match(described, /configmaps\s+2\s+2/);
  });

  test('printer columns read labels through an escaped dot: kubectl get wf / fly show SHARD', async () => {
    assert.equal(
      evalJsonPath({ metadata: { labels: { 'flotilla.io/shard': '7' } } }, '.metadata.labels.flotilla\\.io/shard'),
      '7',
    );
    assert.equal(evalJsonPath({ a: { 'b.c': { d: 1 } } }, '{.a.b\\.c.d}'), 1);
    ok(
      await k(['create', '-f', '-'], { input: workflow('sharded', { 'flotilla.io/shard': '7' }) }),
      'a labelled Workflow',
    );
    const wf = row(ok(await k(['-n', ns, 'get', 'wf']), 'get wf'), 'sharded');
    assert.equal(wf['SHARD'], '7', JSON.stringify(wf));

    const fly = JSON.stringify({
      apiVersion: 'flyte.lyft.com/v1alpha1',
      kind: 'FlyteWorkflow',
      metadata: {
        name: 'exec',
        namespace: ns,
        labels: { 'flotilla.io/shard': '3', 'shard-key': '12', project: 'p', domain: 'd' },
      },
      spec: { nodes: {} },
    });
    ok(await k(['create', '-f', '-'], { input: fly }), 'a labelled FlyteWorkflow');
    const exec = row(ok(await k(['-n', ns, 'get', 'flyteworkflows']), 'get flyteworkflows'), 'exec');
    assert.equal(exec['SHARD'], '3', JSON.stringify(exec));
    assert.equal(exec['SHARD-KEY'], '12', JSON.stringify(exec));
    assert.equal(exec['PROJECT'], 'p');
  });
});
