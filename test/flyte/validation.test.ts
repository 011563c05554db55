/**
 * The FlyteWorkflow fixtures (written the way Flyte v1.16's compiler and FlyteAdmin produce them)
 * parse and validate; invalid variants produce the right problem at the right path.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  flyteShardKey,
  InvalidFlyteWorkflowError,
  NodePhase,
  parseFlyteWorkflow,
  phaseName,
  validateFlyteWorkflow,
  WorkflowPhase,
  type FlyteProblem,
  type ValidateFlyteOptions,
} from '../../src/flyte/index.js';
import { fixture, fixtureFiles, get, type Obj } from './fixtures.js';

const TASK = (name: string, version = 'v1'): string =>
  `resource_type:TASK project:"flytesnacks" domain:"development" name:"${name}" version:"${version}"`;

function problems(input: unknown, options?: ValidateFlyteOptions): FlyteProblem[] {
  const result = validateFlyteWorkflow(input, options);
  assert.equal(result.ok, false, 'expected problems');
  return result.ok ? [] : result.problems;
}

function has(list: readonly FlyteProblem[], code: FlyteProblem['code'], path: string): void {
  assert.ok(
    list.some((p) => p.code === code && p.path === path),
    `no ${code} at ${path} in ${JSON.stringify(list, null, 1)}`,
  );
}

describe('FlyteWorkflow fixtures', () => {
  test('there are seven fixtures and each validates inline', () => {
    const files = fixtureFiles();
    assert.equal(files.length, 7);
    for (const file of files) {
      const result = validateFlyteWorkflow(fixture(file));
      assert.ok(result.ok, `${file}: ${result.ok ? '' : JSON.stringify(result.problems, null, 1)}`);
      assert.equal(result.closure, 'inline');
    }
  });

  test('every fixture carries the shard-key FlyteAdmin would write, and its labels and finalizer', () => {
    for (const file of fixtureFiles()) {
      const wf = parseFlyteWorkflow(fixture(file));
      const labels = wf.metadata.labels ?? {};
      assert.equal(labels['shard-key'], String(flyteShardKey(wf.metadata.name)), file);
      assert.equal(labels['execution-id'], wf.executionId.name, file);
      assert.equal(labels['project'], wf.executionId.project, file);
      assert.deepEqual(wf.metadata.finalizers, ['flyte.org/finalizer'], file);
    }
  });

  test('(a) chain: typed access to retries, deadlines, bindings and the status layout', () => {
    const wf = parseFlyteWorkflow(fixture('a-container-chain.yaml'));
    const n0 = wf.spec?.nodes['n0'];
    assert.equal(n0?.retry?.minAttempts, 3);
    assert.equal(n0?.executionDeadline, '5m0s');
    assert.equal(n0?.activeDeadline, '10m0s');
    assert.deepEqual(n0?.inputBindings?.[1], { var: 'limit', binding: { scalar: { primitive: { integer: '25' } } } });
    assert.equal(wf.executionConfig?.MaxParallelism, 25);
    assert.equal(wf.status?.phase, WorkflowPhase.Running);
    assert.equal(phaseName(NodePhase, wf.status?.nodeStatus?.['n1']?.phase), 'Running');
    assert.equal(wf.status?.nodeStatus?.['n1']?.TaskNodeStatus?.pState, 'AQIDBA==');
  });

  test('(b)-(f): branch cases in nodes, sub-workflow statuses nested, gates, array Go names, failure node', () => {
    const b = parseFlyteWorkflow(fixture('b-branch.yaml'));
    assert.deepEqual(
      [
        b.spec?.nodes['n0']?.branch?.if.then,
        b.spec?.nodes['n0']?.branch?.elseIf?.[0]?.then,
        b.spec?.nodes['n0']?.branch?.else,
      ],
      ['n0-n0', 'n0-n1', 'n0-n2'],
    );
    assert.equal(b.status?.nodeStatus?.['n0-n2']?.parentNode, 'n0');
    const c = parseFlyteWorkflow(fixture('c-subworkflow.yaml'));
    const ref = c.spec?.nodes['n0']?.workflow?.subWorkflowRef ?? '';
    assert.equal(c.subWorkflows?.[ref]?.id, 'flytesnacks:development:demo.nested.child');
    assert.equal(c.status?.nodeStatus?.['n0']?.subNodeStatus?.['n0']?.phase, NodePhase.Running);
    const d = parseFlyteWorkflow(fixture('d-gates.yaml'));
    assert.deepEqual(
      ['n1', 'n2', 'n3'].map((id) => d.spec?.nodes[id]?.gate?.kind),
      ['sleep', 'signal', 'approve'],
    );
    const e = parseFlyteWorkflow(fixture('e-array.yaml'));
    const array = e.spec?.nodes['n0']?.array;
    assert.deepEqual(
      [array?.Parallelism, array?.MinSuccesses, array?.MinSuccessRatio, array?.SubNodeSpec?.kind],
      [4, null, 0.75, 'task'],
    );
    const f = parseFlyteWorkflow(fixture('f-on-failure.yaml'));
    assert.equal(f.spec?.onFailurePolicy, 'FAIL_AFTER_EXECUTABLE_NODES_COMPLETE');
    assert.equal(f.spec?.onFailure?.id, 'fn0');
    assert.equal(f.status?.phase, WorkflowPhase.HandlingFailureNode);
  });

  test('(g) a sensor task is valid Flyte, and an UnsupportedTaskType when the fleet lists its task types', () => {
    const g = fixture('g-sensor.yaml');
    assert.ok(validateFlyteWorkflow(g).ok);
    const list = problems(g, { taskTypes: new Set(['python-task', 'container', 'raw-container']) });
    assert.deepEqual(
      list.map((p) => [p.code, p.path]),
      [['UnsupportedTaskType', `tasks[${JSON.stringify(TASK('demo.sensor.file_sensor'))}].type`]],
    );
    assert.match(list[0]?.message ?? '', /"sensor"/);
    assert.ok(validateFlyteWorkflow(fixture('a-container-chain.yaml'), { taskTypes: new Set(['python-task']) }).ok);
  });
});

describe('invalid FlyteWorkflows', () => {
  test('unknown node kind', () => {
    const wf = fixture('a-container-chain.yaml');
    get(wf, 'spec', 'nodes', 'n1')['kind'] = 'job';
    has(problems(wf), 'UnknownNodeKind', 'spec.nodes.n1.kind');
  });

  test('dangling connections, edges and promises', () => {
    const wf = fixture('a-container-chain.yaml');
    get(wf, 'spec', 'edges', 'downstream')['n1'] = ['n2', 'n9'];
    get(wf, 'spec', 'connections')['ghost'] = ['n0'];
    const n2 = get(wf, 'spec', 'nodes', 'n2');
    (n2['inputBindings'] as Obj[])[0] = { var: 'rows', binding: { promise: { nodeId: 'n7', var: 'o0' } } };
    const list = problems(wf);
    has(list, 'UnknownNode', 'spec.edges.downstream.n1[1]');
    has(list, 'UnknownNode', 'spec.connections.ghost');
    has(list, 'UnknownNode', 'spec.nodes.n2.inputBindings[0].binding.promise.nodeId');
  });

  test('missing task id, and a node id that differs from its key', () => {
    const wf = fixture('a-container-chain.yaml');
    delete get(wf, 'tasks')[TASK('demo.chain.report')];
    get(wf, 'spec', 'nodes', 'n0')['id'] = 'n00';
    const list = problems(wf);
    has(list, 'UnknownTask', 'spec.nodes.n2.task');
    has(list, 'NodeIdMismatch', 'spec.nodes.n0.id');
  });

  test('missing start and end nodes', () => {
    const wf = fixture('b-branch.yaml');
    const nodes = get(wf, 'spec', 'nodes');
    delete nodes['start-node'];
    nodes['end-node'] = { id: 'end-node', kind: 'task', task: TASK('demo.branch.label', 'v2') };
    const list = problems(wf);
    has(list, 'MissingStartNode', 'spec.nodes');
    has(list, 'MissingEndNode', 'spec.nodes');
    has(list, 'UnknownNode', 'spec.edges.downstream["start-node"]');
  });

  test('branch, sub-workflow, gate and array blocks', () => {
    const b = fixture('b-branch.yaml');
    (get(b, 'spec', 'nodes', 'n0', 'branch')['elseIf'] as Obj[])[0] = { condition: {}, then: 'n0-n7' };
    get(b, 'spec', 'nodes', 'n0', 'branch', 'if')['condition'] = 'x > 100';
    let list = problems(b);
    has(list, 'UnknownNode', 'spec.nodes.n0.branch.elseIf[0].then');
    has(list, 'MissingField', 'spec.nodes.n0.branch.if.condition');

    const c = fixture('c-subworkflow.yaml');
    get(c, 'spec', 'nodes', 'n0', 'workflow')['subWorkflowRef'] = 'resource_type:WORKFLOW name:"other"';
    get(
      c,
      'subWorkflows',
      'resource_type:WORKFLOW project:"flytesnacks" domain:"development" name:"demo.nested.child" version:"v3"',
      'nodes',
      'n0',
    )['task'] = 'nope';
    list = problems(c);
    has(list, 'UnknownSubWorkflow', 'spec.nodes.n0.workflow.subWorkflowRef');
    has(
      list,
      'UnknownTask',
      'subWorkflows["resource_type:WORKFLOW project:\\"flytesnacks\\" domain:\\"development\\" name:\\"demo.nested.child\\" version:\\"v3\\""].nodes.n0.task',
    );

    const d = fixture('d-gates.yaml');
    get(d, 'spec', 'nodes', 'n1', 'gate')['kind'] = 'timer';
    get(d, 'spec', 'nodes', 'n2', 'gate')['kind'] = 'sleep';
    list = problems(d);
    has(list, 'BadGateKind', 'spec.nodes.n1.gate.kind');
    has(list, 'MissingKindBlock', 'spec.nodes.n2.gate.sleep');

    const e = fixture('e-array.yaml');
    const array = get(e, 'spec', 'nodes', 'n0', 'array');
    array['MinSuccessRatio'] = 1.5;
    get(array, 'SubNodeSpec')['task'] = 'missing';
    list = problems(e);
    has(list, 'OutOfRange', 'spec.nodes.n0.array.MinSuccessRatio');
    has(list, 'UnknownTask', 'spec.nodes.n0.array.SubNodeSpec.task');
    delete array['SubNodeSpec'];
    has(problems(e), 'MissingKindBlock', 'spec.nodes.n0.array.SubNodeSpec');
  });

  test('a cycle, no connections, a bad failure policy and a failure node reading an unknown node', () => {
    const a = fixture('a-container-chain.yaml');
    get(a, 'spec', 'edges', 'downstream')['n2'] = ['end-node', 'n0'];
    const cycle = problems(a).find((p) => p.code === 'Cycle');
    assert.equal(cycle?.path, 'spec.edges');
    assert.match(cycle?.message ?? '', /"n0" -> "n1" -> "n2" -> "n0"/);

    const f = fixture('f-on-failure.yaml');
    get(f, 'spec')['onFailurePolicy'] = 'RETRY_FOREVER';
    (get(f, 'spec', 'onFailure')['inputBindings'] as Obj[]).push({
      var: 'x',
      binding: { promise: { nodeId: 'n5', var: 'o0' } },
    });
    const spec = get(f, 'spec');
    delete spec['edges'];
    delete spec['connections'];
    const list = problems(f);
    has(list, 'BadFailurePolicy', 'spec.onFailurePolicy');
    has(list, 'UnknownNode', 'spec.onFailure.inputBindings[1].binding.promise.nodeId');
    has(list, 'MissingConnections', 'spec.edges');
  });

  test('only the deprecated connections: accepted, as FlytePropeller reads them when edges are empty', () => {
    const a = fixture('a-container-chain.yaml');
    get(a, 'spec')['edges'] = { downstream: {}, upstream: {} };
    assert.ok(validateFlyteWorkflow(a).ok);
  });

  test('envelope, offloaded closure and inputs, status phases', () => {
    const a = fixture('a-container-chain.yaml');
    a['apiVersion'] = 'flyte.lyft.com/v1';
    a['kind'] = 'Workflow';
    delete a['executionId'];
    a['offloadedInputs'] = 's3://meta/inputs.pb';
    get(a, 'status')['phase'] = 9;
    get(a, 'status', 'nodeStatus', 'n1')['phase'] = -1;
    const list = problems(a);
    for (const [code, path] of [
      ['BadApiVersion', 'apiVersion'],
      ['BadKind', 'kind'],
      ['MissingField', 'executionId'],
      ['ConflictingInputs', 'offloadedInputs'],
      ['BadPhase', 'status.phase'],
      ['BadPhase', 'status.nodeStatus.n1.phase'],
    ] as const)
      has(list, code, path);

    const offloaded = fixture('c-subworkflow.yaml');
    Object.assign(offloaded, { spec: null, tasks: null, workflowClosureReference: 's3://meta/closure.pb' });
    delete offloaded['subWorkflows'];
    const result = validateFlyteWorkflow(offloaded);
    assert.ok(result.ok && result.closure === 'offloaded');
    offloaded['workflowClosureReference'] = '';
    has(problems(offloaded), 'MissingSpec', 'spec');
  });

  test('hostile input: never throws, depth bounded, problems capped', () => {
    for (const bad of [null, 42, 'x', [], () => 1]) assert.equal(problems(bad)[0]?.code, 'NotAnObject');
    const e = fixture('e-array.yaml');
    let sub = get(e, 'spec', 'nodes', 'n0', 'array', 'SubNodeSpec');
    for (let i = 0; i < 200; i++) {
      const inner = { id: `d${i}`, kind: 'array', array: { SubNodeSpec: { id: 'leaf', kind: 'start' } } };
      Object.assign(sub, inner);
      sub = (inner.array as Obj)['SubNodeSpec'] as Obj;
    }
    assert.ok(problems(e).some((p) => p.code === 'TooDeep'));
    const many = fixture('a-container-chain.yaml');
    const nodes = get(many, 'spec', 'nodes');
    for (let i = 0; i < 500; i++) nodes[`x${i}`] = { id: `x${i}`, kind: 'nope' };
    assert.equal(problems(many, { maxProblems: 10 }).length, 10);
  });

  test('parseFlyteWorkflow throws a typed error carrying every problem', () => {
    const wf = fixture('a-container-chain.yaml');
    get(wf, 'spec', 'nodes', 'n1')['kind'] = 'job';
    assert.throws(
      () => parseFlyteWorkflow(wf),
      (e: unknown) =>
        e instanceof InvalidFlyteWorkflowError &&
        e.code === 'InvalidWorkflow' &&
        e.problems.length === 1 &&
        /spec\.nodes\.n1\.kind/.test(e.message),
    );
  });
});
