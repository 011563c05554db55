/**
 * A TaskTemplate as the FlyteWorkflow resource carries it (protobuf JSON): a container task with
 * templated args and resources reads into typed messages, and writes back to the same JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '@bufbuild/protobuf';
import {
  Resources_ResourceName,
  RuntimeMetadata_RuntimeType,
  TaskTemplate,
} from '../../src/generated/flyteidl/flyteidl/core/tasks.js';
import { ResourceType } from '../../src/generated/flyteidl/flyteidl/core/identifier.js';
import { SimpleType } from '../../src/generated/flyteidl/flyteidl/core/types.js';
import { reference } from './reference.js';

/** A hand-written container task: the args carry Flyte's templates, filled in at execution time. */
const template = {
  id: { resourceType: 'TASK', project: 'flotilla', domain: 'development', name: 'ranking.train', version: 'v7' },
  type: 'python-task',
  metadata: {
    discoverable: true,
    runtime: { type: 'FLYTE_SDK', version: '1.14.0', flavor: 'python' },
    timeout: '1800s',
    retries: { retries: 3 },
    discoveryVersion: '2',
    interruptible: false, // a oneof member: set to its default, still written
    tags: { team: 'ranking' },
    generatesDeck: false, // google.protobuf.BoolValue: present, so written even though false
  },
  interface: {
    inputs: {
      variables: {
        epochs: { type: { simple: 'INTEGER' }, description: 'passes over the data' },
        since: { type: { simple: 'DATETIME' } },
      },
    },
    outputs: { variables: { o0: { type: { blob: { format: 'PyTorchCheckpoint', dimensionality: 'MULTIPART' } } } } },
  },
  custom: { entrypoint: 'train.py', replicas: 2 },
  container: {
    image: 'registry.example/ranking/train:7',
    args: [
      'pyflyte-execute',
      '--inputs',
      '{{.input}}',
      '--output-prefix',
      '{{.outputPrefix}}',
      '--raw-output-data-prefix',
      '{{.rawOutputDataPrefix}}',
      '--checkpoint-path',
      '{{.checkpointOutputPrefix}}',
    ],
    resources: {
      requests: [
        { name: 'CPU', value: '500m' },
        { name: 'MEMORY', value: '1Gi' },
      ],
      limits: [
        { name: 'MEMORY', value: '2Gi' },
        { name: 'GPU', value: '1' },
      ],
    },
    env: [{ key: 'FLOTILLA_SHARD', value: '3' }],
    architecture: 'ARM64',
  },
  taskTypeVersion: 1,
  config: { 'pod-template': 'gpu' },
} satisfies JsonObject;

test('a container TaskTemplate reads from protobuf JSON into typed messages', () => {
  const task = TaskTemplate.fromJSON(template);
  assert.equal(task.id?.resourceType, ResourceType.TASK);
  assert.equal(task.metadata?.runtime?.type, RuntimeMetadata_RuntimeType.FLYTE_SDK);
  assert.deepEqual(task.metadata?.timeout, { seconds: '1800', nanos: 0 });
  assert.deepEqual(task.metadata?.interruptibleValue, { $case: 'interruptible', interruptible: false });
  assert.equal(task.metadata?.generatesDeck, false);
  assert.equal(task.interface?.inputs?.variables['epochs']?.type?.type?.$case, 'simple');
  assert.deepEqual(task.interface?.inputs?.variables['epochs']?.type?.type, {
    $case: 'simple',
    simple: SimpleType.INTEGER,
  });
  assert.deepEqual(task.custom, { entrypoint: 'train.py', replicas: 2 });
  assert.ok(task.target?.$case === 'container');
  const { container } = task.target;
  assert.equal(container.image, 'registry.example/ranking/train:7');
  assert.equal(container.args[2], '{{.input}}');
  assert.equal(container.args[4], '{{.outputPrefix}}');
  assert.deepEqual(
    container.resources?.requests.map((r) => [r.name, r.value]),
    [
      [Resources_ResourceName.CPU, '500m'],
      [Resources_ResourceName.MEMORY, '1Gi'],
    ],
  );
  assert.deepEqual(container.resources?.limits.find((r) => r.name === Resources_ResourceName.GPU)?.value, '1');
});

test('the TaskTemplate writes back to the same JSON, directly and through binary', () => {
  const task = TaskTemplate.fromJSON(template);
  assert.deepEqual(TaskTemplate.toJSON(task), template);
  assert.deepEqual(TaskTemplate.toJSON(TaskTemplate.decode(TaskTemplate.encode(task).finish())), template);
});

test('the reference implementation agrees on the TaskTemplate (JSON and binary)', () => {
  const ref = reference('flyteidl.core.TaskTemplate');
  assert.deepEqual(ref.canonical(template), template, 'the fixture is canonical protobuf JSON');
  assert.deepEqual(ref.decodeToJson(TaskTemplate.encode(TaskTemplate.fromJSON(template)).finish()), template);
});
