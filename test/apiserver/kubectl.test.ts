/**
 * Conformance of the embedded API server against the real kubectl: each step is a kubectl command
 * whose exit code and output are what a real kube-apiserver gives.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { spawnKubectl, type KubectlResult } from '../support/kubectl.js';
import { waitFor } from '../support/wait.js';

const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList, shortNames: [wd], categories: [gadgets]}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      additionalPrinterColumns:
        - {name: Size, type: integer, jsonPath: .spec.size}
        - {name: Color, type: string, jsonPath: .spec.color}
        - {name: Phase, type: string, jsonPath: .status.phase}
        - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1, maximum: 100, description: How big the widget is.}
                color: {type: string, enum: [red, green, blue]}
                tags: {type: array, items: {type: string}}
            status:
              type: object
              properties:
                phase: {type: string}
`;

function widget(name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name, namespace: 'conf', ...metadata },
    spec,
  });
}

function ok(result: KubectlResult, what: string): string {
  assert.equal(result.code, 0, `${what} failed (exit ${result.code}): ${result.stderr}`);
  return result.stdout;
}

function failed(result: KubectlResult, what: string): string {
  assert.equal(result.code, 1, `${what} should fail with exit 1, got ${result.code}: ${result.stdout}${result.stderr}`);
  return result.stderr;
}

interface Obj {
  metadata: {
    name: string;
    resourceVersion: string;
    generation?: number;
    uid: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    ownerReferences?: unknown[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

describe('kubectl against the embedded API server', () => {
  let api: TestApiServer;
  let k: TestApiServer['kubectl'];
  const getJson = async (args: string[]): Promise<Obj> =>
    JSON.parse(ok(await k(['get', ...args, '-o', 'json']), `get ${args.join(' ')}`)) as Obj;
  const names = async (args: string[]): Promise<string[]> =>
    ok(await k(['get', ...args, '-o', 'name']), `get ${args.join(' ')}`)
      .split('\n')
      .filter(Boolean)
      .sort();

  before(async () => {
    api = await startTestApiServer();
    k = api.kubectl;
    // the namespace comes from a JSON body (apply), so that the `kubectl create namespace` test
    // (whose typed client sends protobuf) fails alone if it fails
    ok(
      await k(['apply', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'conf' } }),
      }),
      'apply namespace',
    );
  });
  after(async () => {
    await api?.stop();
  });

  test('the CRD applies, becomes established and shows in api-resources', async () => {
    assert.match(
      ok(await k(['apply', '-f', '-'], { input: crd }), 'apply crd'),
      /customresourcedefinition\.apiextensions\.k8s\.io\/widgets\.example\.com created/,
    );
    ok(
      await k(['wait', '--for', 'condition=established', '--timeout=20s', 'crd/widgets.example.com']),
      'wait established',
    );
    const resources = ok(await k(['api-resources']), 'api-resources');
    assert.match(resources, /^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget\s*$/m);
    assert.match(resources, /^pods\s+po\s+v1\s+true\s+Pod\s*$/m);
    assert.match(resources, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease\s*$/m);
  });

  test('create namespace; get ns lists it', async () => {
    assert.match(
      ok(await k(['create', 'namespace', 'made-by-create']), 'create ns'),
      /^namespace\/made-by-create created$/m,
    );
    const out = ok(await k(['get', 'ns']), 'get ns');
    assert.match(out, /^NAME\s+STATUS\s+AGE\s*$/m);
    assert.match(out, /^conf\s+Active\s+\S+\s*$/m);
    assert.match(out, /^made-by-create\s+Active\s+\S+\s*$/m);
    assert.match(out, /^default\s+Active\s+\S+\s*$/m);
  });

  test('apply (with server-side validation) creates objects; get -o yaml / json', async () => {
    const objects = [
      widget('w1', { size: 3, color: 'red' }, { labels: { app: 'a', tier: 'front' } }),
      widget('w2', { size: 5, color: 'blue' }, { labels: { app: 'b', tier: 'back' } }),
      widget('w3', { size: 7 }, { labels: { app: 'c' } }),
    ];
    for (const [i, o] of objects.entries()) {
      assert.match(
        ok(await k(['apply', '-f', '-'], { input: o }), 'apply widget'),
        new RegExp(`^widget\\.example\\.com/w${i + 1} created$`, 'm'),
      );
    }
    const yamlText = ok(await k(['get', 'widget', 'w1', '-n', 'conf', '-o', 'yaml']), 'get -o yaml');
    const fromYaml = parseYaml(yamlText) as Obj;
    assert.equal(fromYaml['apiVersion'], 'example.com/v1');
    assert.equal(fromYaml['kind'], 'Widget');
    assert.deepEqual(fromYaml.spec, { size: 3, color: 'red' });
    assert.equal(fromYaml.metadata.generation, 1);
    assert.ok(fromYaml.metadata.uid && fromYaml.metadata.resourceVersion);
    const fromJson = await getJson(['widget', 'w1', '-n', 'conf']);
    assert.equal(fromJson.metadata.resourceVersion, fromYaml.metadata.resourceVersion);
    const list = JSON.parse(ok(await k(['get', 'widgets', '-n', 'conf', '-o', 'json']), 'list json')) as {
      kind: string;
      items: Obj[];
    };
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((i) => i.metadata.name).sort(), ['w1', 'w2', 'w3']);
  });

  test('an existing name is refused with AlreadyExists; a missing one is NotFound', async () => {
    const created = failed(await k(['create', '-f', '-'], { input: widget('w1', { size: 3 }) }), 'create existing');
    assert.match(
      created,
      /Error from server \(AlreadyExists\): error when creating "STDIN": widgets\.example\.com "w1" already exists/,
    );
    const missing = failed(await k(['get', 'widget', 'nope', '-n', 'conf']), 'get missing');
    assert.match(missing, /Error from server \(NotFound\): widgets\.example\.com "nope" not found/);
  });

  test('label selectors: =, !=, in, notin, exists, !key; field selector on metadata.name', async () => {
    const cases: [string, string[]][] = [
      ['app=a', ['w1']],
      ['app!=a', ['w2', 'w3']],
      ['app in (a,b)', ['w1', 'w2']],
      ['app notin (a)', ['w2', 'w3']],
      ['tier', ['w1', 'w2']],
      ['!tier', ['w3']],
      ['app=b,tier=back', ['w2']],
    ];
    for (const [selector, expected] of cases) {
      assert.deepEqual(
        await names(['widgets', '-n', 'conf', '-l', selector]),
        expected.map((n) => `widget.example.com/${n}`),
        selector,
      );
    }
    assert.deepEqual(await names(['widgets', '-n', 'conf', '--field-selector', 'metadata.name=w2']), [
      'widget.example.com/w2',
    ]);
    assert.deepEqual(await names(['widgets', '-n', 'conf', '--field-selector', 'metadata.name!=w2']), [
      'widget.example.com/w1',
      'widget.example.com/w3',
    ]);
    const bad = failed(
      await k(['get', 'widgets', '-n', 'conf', '--field-selector', 'spec.size=3']),
      'unsupported field selector',
    );
    assert.match(bad, /field label not supported: spec\.size/);
  });

  test('get prints a Table with the printer columns; shortName and category resolve', async () => {
    const table = ok(await k(['get', 'widgets', '-n', 'conf']), 'get table');
    assert.match(table, /^NAME\s+SIZE\s+COLOR\s+PHASE\s+AGE\s*$/m);
    assert.match(table, /^w1\s+3\s+red\s+/m);
    assert.match(table, /^w2\s+5\s+blue\s+/m);
    const wide = ok(await k(['get', 'wd', '-n', 'conf', '--show-labels']), 'get --show-labels');
    assert.match(wide, /^w1\s+3\s+red\s+.*app=a,tier=front\s*$/m);
    assert.equal((await names(['wd', '-n', 'conf'])).length, 3);
    assert.equal((await names(['gadgets', '-n', 'conf'])).length, 3);
  });

  test('kubectl explain reads the schema from OpenAPI', async () => {
    const out = ok(await k(['explain', 'widgets.spec.size']), 'explain');
    assert.match(out, /KIND:\s+Widget/);
    assert.match(out, /FIELD:\s+size <integer>/);
    assert.match(out, /How big the widget is\./);
  });

  test('an object violating the schema is refused with the field path (422)', async () => {
    const tooBig = failed(
      await k(['apply', '-v=6', '-f', '-'], { input: widget('bad', { size: 1000, color: 'purple' }) }),
      'apply invalid',
    );
    assert.match(tooBig, /422/);
    assert.match(tooBig, /The Widget "bad" is invalid/);
    assert.match(tooBig, /spec\.size: Invalid value: 1000: spec\.size in body should be less than or equal to 100/);
    assert.match(tooBig, /spec\.color: Unsupported value: "purple": supported values: "red", "green", "blue"/);
    const missing = failed(
      await k(['create', '-f', '-'], { input: widget('bad2', { color: 'red' }) }),
      'create without required',
    );
    assert.match(missing, /spec\.size: Required value/);
    const wrongType = failed(
      await k(['create', '-f', '-'], { input: widget('bad3', { size: 'big' }) }),
      'create wrong type',
    );
    assert.match(
      wrongType,
      /spec\.size: Invalid value: "string": spec\.size in body must be of type integer: "string"/,
    );
    assert.equal((await names(['widgets', '-n', 'conf'])).length, 3);
  });

  test('patch --type merge and --type json; generation grows only with spec', async () => {
    const before = await getJson(['widget', 'w1', '-n', 'conf']);
    assert.match(
      ok(
        await k(['patch', 'widget', 'w1', '-n', 'conf', '--type', 'merge', '-p', '{"spec":{"color":"green"}}']),
        'merge patch',
      ),
      /widget\.example\.com\/w1 patched/,
    );
    let now = await getJson(['widget', 'w1', '-n', 'conf']);
    assert.equal(now.spec?.['color'], 'green');
    assert.equal(now.metadata.generation, (before.metadata.generation ?? 0) + 1);
    ok(
      await k([
        'patch',
        'widget',
        'w1',
        '-n',
        'conf',
        '--type',
        'json',
        '-p',
        '[{"op":"replace","path":"/spec/size","value":4},{"op":"add","path":"/spec/tags","value":["x"]}]',
      ]),
      'json patch',
    );
    now = await getJson(['widget', 'w1', '-n', 'conf']);
    assert.deepEqual(now.spec, { size: 4, color: 'green', tags: ['x'] });
    const generation = now.metadata.generation;
    assert.equal(generation, (before.metadata.generation ?? 0) + 2);
    ok(await k(['label', 'widget', 'w1', '-n', 'conf', 'extra=yes']), 'label');
    now = await getJson(['widget', 'w1', '-n', 'conf']);
    assert.equal(now.metadata.labels?.['extra'], 'yes');
    assert.equal(now.metadata.generation, generation, 'a label change must not bump generation');
    const failedTest = failed(
      await k([
        'patch',
        'widget',
        'w1',
        '-n',
        'conf',
        '--type',
        'json',
        '-p',
        '[{"op":"test","path":"/spec/size","value":99},{"op":"replace","path":"/spec/size","value":5}]',
      ]),
      'json patch test op',
    );
    assert.match(failedTest, /The request is invalid/);
    assert.equal((await getJson(['widget', 'w1', '-n', 'conf'])).spec?.['size'], 4, 'a failed test op applies nothing');
    const invalid = failed(
      await k(['patch', 'widget', 'w1', '-n', 'conf', '--type', 'merge', '-p', '{"spec":{"size":0}}']),
      'invalid merge patch',
    );
    assert.match(invalid, /spec\.size: Invalid value: 0: spec\.size in body should be greater than or equal to 1/);
  });

  test('patch --subresource status changes only status; the main resource ignores status', async () => {
    const before = await getJson(['widget', 'w1', '-n', 'conf']);
    ok(
      await k([
        'patch',
        'widget',
        'w1',
        '-n',
        'conf',
        '--subresource',
        'status',
        '--type',
        'merge',
        '-p',
        '{"status":{"phase":"Ready"},"spec":{"size":99}}',
      ]),
      'status patch',
    );
    let now = await getJson(['widget', 'w1', '-n', 'conf']);
    assert.equal(now.status?.['phase'], 'Ready');
    assert.equal(now.spec?.['size'], before.spec?.['size']);
    assert.equal(now.metadata.generation, before.metadata.generation, 'a status write must not bump generation');
    ok(
      await k(['patch', 'widget', 'w1', '-n', 'conf', '--type', 'merge', '-p', '{"status":{"phase":"Hacked"}}']),
      'status via main resource',
    );
    now = await getJson(['widget', 'w1', '-n', 'conf']);
    assert.equal(now.status?.['phase'], 'Ready');
    assert.match(ok(await k(['get', 'widget', 'w1', '-n', 'conf']), 'table'), /^w1\s+4\s+green\s+Ready\s+\S+\s*$/m);
  });

  test('replace with a stale resourceVersion is a 409 Conflict with the exact message', async () => {
    const current = await getJson(['widget', 'w2', '-n', 'conf']);
    ok(await k(['patch', 'widget', 'w2', '-n', 'conf', '--type', 'merge', '-p', '{"spec":{"size":6}}']), 'patch w2');
    const stale = { ...current, spec: { ...current.spec, size: 8 } };
    const err = failed(await k(['replace', '-f', '-'], { input: JSON.stringify(stale) }), 'stale replace');
    assert.match(
      err,
      /Error from server \(Conflict\): error when replacing "STDIN": Operation cannot be fulfilled on widgets\.example\.com "w2": the object has been modified; please apply your changes to the latest version and try again/,
    );
    const fresh = await getJson(['widget', 'w2', '-n', 'conf']);
    assert.equal(fresh.spec?.['size'], 6);
    assert.match(
      ok(
        await k(['replace', '-f', '-'], { input: JSON.stringify({ ...fresh, spec: { ...fresh.spec, size: 9 } }) }),
        'fresh replace',
      ),
      /widget\.example\.com\/w2 replaced/,
    );
    assert.equal((await getJson(['widget', 'w2', '-n', 'conf'])).spec?.['size'], 9);
  });

  test('delete with a finalizer keeps the object (deletionTimestamp) until the finalizer goes', async () => {
    ok(
      await k(['apply', '-f', '-'], { input: widget('w-fin', { size: 1 }, { finalizers: ['example.com/hold'] }) }),
      'apply w-fin',
    );
    assert.match(
      ok(await k(['delete', 'widget', 'w-fin', '-n', 'conf', '--wait=false']), 'delete'),
      /widget\.example\.com "w-fin" deleted/,
    );
    const held = await getJson(['widget', 'w-fin', '-n', 'conf']);
    assert.ok(held.metadata.deletionTimestamp, 'deletionTimestamp is set');
    assert.deepEqual(held.metadata.finalizers, ['example.com/hold']);
    ok(
      await k([
        'patch',
        'widget',
        'w-fin',
        '-n',
        'conf',
        '--type',
        'json',
        '-p',
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      ]),
      'remove finalizer',
    );
    await waitFor(
      async () => {
        const result = await k(['get', 'widget', 'w-fin', '-n', 'conf']);
        return result.code === 1 && /NotFound/.test(result.stderr);
      },
      { what: 'w-fin to be gone', timeoutMs: 10_000 },
    );
  });

  async function ownedConfigMap(
    owner: string,
    cm: string,
    extra: { blockOwnerDeletion?: boolean; finalizers?: string[] } = {},
  ): Promise<void> {
    ok(await k(['apply', '-f', '-'], { input: widget(owner, { size: 2 }) }), `apply ${owner}`);
    const uid = (await getJson(['widget', owner, '-n', 'conf'])).metadata.uid;
    const ref: Record<string, unknown> = { apiVersion: 'example.com/v1', kind: 'Widget', name: owner, uid };
    if (extra.blockOwnerDeletion) ref['blockOwnerDeletion'] = true;
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: cm,
        namespace: 'conf',
        ownerReferences: [ref],
        ...(extra.finalizers ? { finalizers: extra.finalizers } : {}),
      },
      data: { k: 'v' },
    };
    ok(await k(['create', '-f', '-'], { input: JSON.stringify(configMap) }), `create ${cm}`);
  }
  const gone = async (args: string[]): Promise<boolean> => {
    const result = await k(['get', ...args, '-n', 'conf']);
    return result.code === 1 && /NotFound/.test(result.stderr);
  };

  test('cascade deletion: a ConfigMap owned by a widget goes with it; --cascade=orphan keeps it', async () => {
    await ownedConfigMap('w-own', 'cm-owned');
    ok(await k(['delete', 'widget', 'w-own', '-n', 'conf']), 'delete owner');
    await waitFor(() => gone(['configmap', 'cm-owned']), { what: 'the dependent to be collected', timeoutMs: 15_000 });

    await ownedConfigMap('w-own2', 'cm-orphan');
    ok(await k(['delete', 'widget', 'w-own2', '-n', 'conf', '--cascade=orphan', '--wait=false']), 'delete orphan');
    await waitFor(() => gone(['widget', 'w-own2']), { what: 'the owner to be gone', timeoutMs: 15_000 });
    const orphan = await waitFor(
      async () => {
        const cm = await getJson(['configmap', 'cm-orphan', '-n', 'conf']);
        return (cm.metadata.ownerReferences ?? []).length === 0 ? cm : undefined;
      },
      { what: 'the orphan to lose its ownerReference', timeoutMs: 15_000 },
    );
    assert.equal(orphan.metadata.name, 'cm-orphan');
  });

  test('foreground cascade: the owner waits (foregroundDeletion) for its blocking dependents', async () => {
    await ownedConfigMap('w-fg', 'cm-fg', { blockOwnerDeletion: true, finalizers: ['example.com/hold'] });
    ok(
      await k(['delete', 'widget', 'w-fg', '-n', 'conf', '--cascade=foreground', '--wait=false']),
      'foreground delete',
    );
    const owner = await getJson(['widget', 'w-fg', '-n', 'conf']);
    assert.ok(owner.metadata.deletionTimestamp, 'the owner is being deleted');
    assert.ok(
      owner.metadata.finalizers?.includes('foregroundDeletion'),
      `finalizers: ${JSON.stringify(owner.metadata.finalizers)}`,
    );
    const dependent = await waitFor(
      async () => {
        const cm = await getJson(['configmap', 'cm-fg', '-n', 'conf']);
        return cm.metadata.deletionTimestamp ? cm : undefined;
      },
      { what: 'the dependent to be deleted', timeoutMs: 15_000 },
    );
    assert.deepEqual(dependent.metadata.finalizers, ['example.com/hold']);
    assert.ok(!(await gone(['widget', 'w-fg'])), 'the owner stays while a blocking dependent exists');
    ok(
      await k([
        'patch',
        'configmap',
        'cm-fg',
        '-n',
        'conf',
        '--type',
        'json',
        '-p',
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      ]),
      'release dependent',
    );
    await waitFor(() => gone(['configmap', 'cm-fg']), { what: 'the dependent to be gone', timeoutMs: 15_000 });
    await waitFor(() => gone(['widget', 'w-fg']), { what: 'the owner to be gone', timeoutMs: 15_000 });
  });

  test('get --watch prints the change, then is killed', async () => {
    const watch = spawnKubectl(api.kubeconfigPath, ['get', 'widgets', '-n', 'conf', '--watch']);
    try {
      await waitFor(() => /^w1\s+4\s+/m.test(watch.output()), { what: 'the initial listing', timeoutMs: 15_000 });
      ok(
        await k(['patch', 'widget', 'w1', '-n', 'conf', '--type', 'merge', '-p', '{"spec":{"size":42}}']),
        'patch during watch',
      );
      await waitFor(() => /^w1\s+42\s+green\s+/m.test(watch.output()), {
        what: `the watched change in:\n${watch.output()}${watch.errors()}`,
        timeoutMs: 15_000,
      });
      ok(await k(['delete', 'widget', 'w3', '-n', 'conf']), 'delete during watch');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(watch.child.exitCode, null, `kubectl --watch must still be running: ${watch.errors()}`);
    } finally {
      await watch.stop();
    }
  });

  test('leases: create with MicroTime, get shows the holder', async () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'my-lease', namespace: 'conf' },
      spec: {
        holderIdentity: 'replica-1',
        leaseDurationSeconds: 15,
        renewTime: '2026-11-25T10:00:00.123456Z',
        acquireTime: '2026-11-25T09:59:00.000001Z',
        leaseTransitions: 0,
      },
    };
    assert.match(
      ok(await k(['create', '-f', '-'], { input: JSON.stringify(lease) }), 'create lease'),
      /lease\.coordination\.k8s\.io\/my-lease created/,
    );
    const table = ok(await k(['get', 'leases', '-n', 'conf']), 'get leases');
    assert.match(table, /^NAME\s+HOLDER\s+AGE\s*$/m);
    assert.match(table, /^my-lease\s+replica-1\s+\S+\s*$/m);
    const got = await getJson(['lease', 'my-lease', '-n', 'conf']);
    assert.equal(got.spec?.['renewTime'], '2026-11-25T10:00:00.123456Z');
    assert.equal(got.spec?.['acquireTime'], '2026-11-25T09:59:00.000001Z');
  });

  test('events: create one, get events lists it', async () => {
    const w1 = await getJson(['widget', 'w1', '-n', 'conf']);
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'w1.tested', namespace: 'conf' },
      involvedObject: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        name: 'w1',
        namespace: 'conf',
        uid: w1.metadata.uid,
      },
      reason: 'Tested',
      message: 'the widget was tested',
      type: 'Normal',
      count: 1,
      firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      source: { component: 'conformance' },
    };
    ok(await k(['create', '-f', '-'], { input: JSON.stringify(event) }), 'create event');
    const out = ok(await k(['get', 'events', '-n', 'conf']), 'get events');
    assert.match(out, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\s*$/m);
    assert.match(out, /Normal\s+Tested\s+widget\/w1\s+the widget was tested/);
    assert.deepEqual(await names(['events', '-n', 'conf', '--field-selector', 'involvedObject.name=w1']), [
      'event/w1.tested',
    ]);
  });

  test('create configmap and secret', async () => {
    assert.match(
      ok(
        await k(['create', 'configmap', 'cfg', '-n', 'conf', '--from-literal=a=1', '--from-literal=b=2']),
        'create cm',
      ),
      /^configmap\/cfg created$/m,
    );
    assert.equal(ok(await k(['get', 'configmap', 'cfg', '-n', 'conf', '-o', 'jsonpath={.data.b}']), 'jsonpath'), '2');
    assert.match(
      ok(
        await k(['create', 'secret', 'generic', 'sec', '-n', 'conf', '--from-literal=password=s3cret']),
        'create secret',
      ),
      /^secret\/sec created$/m,
    );
    assert.equal(
      ok(await k(['get', 'secret', 'sec', '-n', 'conf', '-o', 'jsonpath={.data.password}']), 'jsonpath'),
      Buffer.from('s3cret').toString('base64'),
    );
    const table = ok(await k(['get', 'configmaps', '-n', 'conf']), 'get cm');
    assert.match(table, /^NAME\s+DATA\s+AGE\s*$/m);
    assert.match(table, /^cfg\s+2\s+\S+\s*$/m);
  });

  test('delete with a label selector removes exactly the matching objects', async () => {
    for (const [name, purpose] of [
      ['t1', 'temp'],
      ['t2', 'temp'],
      ['t3', 'keep'],
    ] as const) {
      const cm = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'conf', labels: { purpose } },
        data: { x: 'y' },
      };
      ok(await k(['apply', '-f', '-'], { input: JSON.stringify(cm) }), `apply ${name}`);
    }
    const out = ok(await k(['delete', 'configmaps', '-n', 'conf', '-l', 'purpose=temp']), 'delete -l');
    assert.match(out, /configmap "t1" deleted/);
    assert.match(out, /configmap "t2" deleted/);
    assert.deepEqual(await names(['configmaps', '-n', 'conf', '-l', 'purpose']), ['configmap/t3']);
  });

  test("apply twice computes a three-way merge patch: removed fields go, others' changes stay", async () => {
    ok(
      await k(['apply', '-f', '-'], { input: widget('w-apply', { size: 2, color: 'red', tags: ['a'] }) }),
      'first apply',
    );
    ok(await k(['label', 'widget', 'w-apply', '-n', 'conf', 'someone=else']), 'label by someone else');
    const second = ok(
      await k(['apply', '-f', '-'], { input: widget('w-apply', { size: 2, tags: ['a', 'b'] }) }),
      'second apply',
    );
    assert.match(second, /widget\.example\.com\/w-apply configured/);
    const now = await getJson(['widget', 'w-apply', '-n', 'conf']);
    assert.deepEqual(now.spec, { size: 2, tags: ['a', 'b'] });
    assert.equal(now.metadata.labels?.['someone'], 'else');
    assert.equal(now.metadata.generation, 2);
    const patches = api.server.faults.audit({ resource: 'widgets', verb: 'patch' });
    assert.ok(
      patches.some((entry) => entry.name === 'w-apply' && entry.code === 200),
      'the second apply was a PATCH',
    );
    assert.match(
      ok(await k(['apply', '-f', '-'], { input: widget('w-apply', { size: 2, tags: ['a', 'b'] }) }), 'third apply'),
      /widget\.example\.com\/w-apply unchanged/,
    );
  });
});
