import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import type { TaskContext } from '../../engine/plugins.js';
import { attemptPaths } from '../../flyte/container/paths.js';
import { decodePodStandInSpec, POD_STAND_IN_ANNOTATION } from '../../flyte/container/pod-stand-in.js';
import { FlyteError } from '../../flyte/errors.js';
import type { ContainerTaskConfig } from '../../flyte/translate/contract.js';
import { buildFlytePod, demystifyFailure, flytePodName, resolveResources, sanitizeFlyteLabel } from './index.js';

const config: ContainerTaskConfig = {
  op: 'container',
  taskKey: 'k',
  taskName: 'demo.Add_Numbers',
  template: {
    id: { project: 'p', domain: 'd', name: 'demo.Add_Numbers', version: 'v7' },
    interface: { outputs: { variables: { total: { type: { simple: 'INTEGER' } } } } },
    container: {
      image: 'ghcr.io/x:1',
      args: [
        'pyflyte-execute',
        '--inputs',
        '{{.input}}',
        '--output-prefix',
        '{{ .OutputPrefix }}',
        '--raw-output-data-prefix',
        '{{.rawOutputDataPrefix}}',
        '--n',
        '{{.inputs.n}}',
        '--prev',
        '{{.prevCheckpointPrefix}}',
      ],
      env: [{ key: 'MODE', value: 'fast' }],
      resources: { requests: [{ name: 'CPU', value: '250m' }], limits: [{ name: 'MEMORY', value: '1Gi' }] },
    },
  },
  nodeId: 'n3',
  parents: [],
  dataDir: 'file:///data/meta/p-d-exec1',
  rawOutputRoot: 'file:///data/raw',
  namespace: 'team',
  execution: { project: 'p', domain: 'd', name: 'exec1' },
  standIn: [{ selector: 'n3', outputs: { total: 5 } }],
  pod: {
    labels: { 'execution-id': 'exec1', project: 'p', domain: 'd', 'workflow-name': 'demo-wf' },
    workflowId: 'p:d:demo.wf',
    serviceAccount: 'runner',
    defaultResources: { requests: { cpu: '1', memory: '2Gi' } },
    environment: { EXTRA: '1' },
  },
};

function ctx(attempt = 1, over: Partial<TaskContext> = {}): TaskContext {
  return {
    workflow: { namespace: 'team', name: 'exec1', uid: 'u1', shard: '4' },
    nodeId: 'n3',
    attempt,
    taskName: 'flyte:n3',
    task: { plugin: 'flyte-container', config: config as never, interruptible: true },
    inputs: {},
    attemptStartedAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

const inputs = { n: { scalar: { primitive: { integer: '3' } } } };

describe('the Flyte task Pod', () => {
  test('deterministic name, args resolved, Flyte and flotilla labels, owner, service account', () => {
    const paths = attemptPaths(config, 'n3', 2);
    const pod = buildFlytePod({ ctx: ctx(2), config, paths, inputs });
    assert.deepEqual(buildFlytePod({ ctx: ctx(2), config, paths, inputs }), pod);
    assert.equal(pod.metadata?.name, flytePodName(ctx(2)));
    assert.equal(pod.metadata?.name, 'exec1-n3-2');
    const c = pod.spec?.containers[0];
    assert.equal(c?.name, pod.metadata?.name);
    assert.equal(
      c?.args?.some((a) => a.includes('{{')),
      false,
    );
    assert.deepEqual(c?.args?.slice(0, 5), [
      'pyflyte-execute',
      '--inputs',
      paths.inputs,
      '--output-prefix',
      paths.outputDir,
    ]);
    assert.equal(c?.args?.[8], '3');
    assert.equal(c?.args?.[10], paths.prevCheckpointPrefix);
    assert.deepEqual(pod.metadata?.labels, {
      'execution-id': 'exec1',
      project: 'p',
      domain: 'd',
      'workflow-name': 'demo-wf',
      'node-id': 'n3',
      'task-name': 'demo-add-numbers',
      interruptible: 'true',
      'flotilla.io/workflow': 'exec1',
      'flotilla.io/node': 'n3',
      'flotilla.io/attempt': '2',
      'flotilla.io/shard': '4',
    });
    assert.deepEqual(pod.metadata?.ownerReferences, [
      {
        apiVersion: 'flyte.lyft.com/v1alpha1',
        kind: 'FlyteWorkflow',
        name: 'exec1',
        uid: 'u1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.equal(pod.spec?.serviceAccountName, 'runner');
    assert.equal(pod.spec?.restartPolicy, 'Never');
  });

  test('FLYTE_INTERNAL_* environment, 0-based attempt, template and execution env', () => {
    const pod = buildFlytePod({ ctx: ctx(3), config, paths: attemptPaths(config, 'n3', 3), inputs });
    const env = Object.fromEntries((pod.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    assert.deepEqual(env, {
      MODE: 'fast',
      FLYTE_INTERNAL_EXECUTION_WORKFLOW: 'p:d:demo.wf',
      FLYTE_INTERNAL_EXECUTION_ID: 'exec1',
      FLYTE_INTERNAL_EXECUTION_PROJECT: 'p',
      FLYTE_INTERNAL_EXECUTION_DOMAIN: 'd',
      FLYTE_ATTEMPT_NUMBER: '2',
      FLYTE_INTERNAL_TASK_PROJECT: 'p',
      FLYTE_INTERNAL_TASK_DOMAIN: 'd',
      FLYTE_INTERNAL_TASK_NAME: 'demo.Add_Numbers',
      FLYTE_INTERNAL_TASK_VERSION: 'v7',
      EXTRA: '1',
    });
  });

  test('the stand-in annotation carries the outputs and rules the kubelet needs', () => {
    const pod = buildFlytePod({ ctx: ctx(), config, paths: attemptPaths(config, 'n3', 1), inputs });
    const spec = decodePodStandInSpec(pod.metadata?.annotations?.[POD_STAND_IN_ANNOTATION] ?? '');
    assert.deepEqual(spec, {
      taskName: 'demo.Add_Numbers',
      path: 'n3',
      nodeId: 'n3',
      outputs: { total: { simple: 'INTEGER' } },
      rules: [{ selector: 'n3', outputs: { total: 5 } }],
    });
  });

  test('an input template that cannot be rendered throws BadTemplate', () => {
    assert.throws(
      () => buildFlytePod({ ctx: ctx(), config, paths: attemptPaths(config, 'n3', 1), inputs: {} }),
      (e: unknown) => e instanceof FlyteError && e.code === 'BadTemplate',
    );
  });

  test('resources: template, node override, request from limit or default, limit from request', () => {
    assert.deepEqual(
      resolveResources(
        { requests: [{ name: 'CPU', value: '250m' }], limits: [{ name: 'MEMORY', value: '1Gi' }] },
        undefined,
        { requests: { cpu: '1', memory: '2Gi' } },
      ),
      { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '250m', memory: '1Gi' } },
    );
    assert.deepEqual(resolveResources(undefined, { requests: { cpu: '2' } }, { requests: { memory: '2Gi' } }), {
      requests: { cpu: '2', memory: '2Gi' },
      limits: { cpu: '2', memory: '2Gi' },
    });
    assert.deepEqual(resolveResources({ limits: [{ name: 'GPU', value: '1' }] }, undefined, undefined), {
      requests: { 'nvidia.com/gpu': '1' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    assert.equal(resolveResources(undefined, undefined, undefined), undefined);
  });

  test('label values sanitised as FlytePropeller does', () => {
    assert.equal(sanitizeFlyteLabel('demo.Chain.fetch'), 'demo-chain-fetch');
    assert.equal(sanitizeFlyteLabel(`-${'a'.repeat(70)}`).length, 62);
  });
});

describe('a failed Flyte Pod without error.pb (FlytePropeller rules)', () => {
  const failedPod = (reason: string | undefined, exitCode: number, containerReason = 'Error'): V1Pod => ({
    spec: { containers: [{ name: 'main' }] },
    status: {
      phase: 'Failed',
      ...(reason ? { reason } : {}),
      containerStatuses: [
        {
          name: 'main',
          image: '',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode, reason: containerReason, message: 'traceback' } },
        },
      ],
    },
  });
  const cases: [string, V1Pod, string][] = [
    ['plain non-zero exit: nothing says why', failedPod(undefined, 1), 'system/Interrupted'],
    ['OOMKilled', failedPod(undefined, 137, 'OOMKilled'), 'user/OOMKilled'],
    ['SIGKILL of the primary container', failedPod(undefined, 137), 'system/Interrupted'],
    ['node shutdown', failedPod('Shutdown', 143), 'system/Interrupted'],
    ['evicted', failedPod('Evicted', 143), 'user/Evicted'],
  ];
  for (const [name, pod, expected] of cases) {
    test(`${name} → ${expected}, retryable`, () => {
      const o = demystifyFailure(pod);
      assert.equal(o.phase === 'Failed' && `${o.failure.kind}/${o.failure.reason}`, expected);
      assert.equal(o.phase === 'Failed' && o.failure.retryable, true);
      assert.match(o.phase === 'Failed' ? o.failure.message : '', /\[main\] terminated with exit code .*traceback/s);
    });
  }
});
