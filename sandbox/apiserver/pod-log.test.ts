import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import { podLogText } from './pod-log.js';
import type { KubeObject } from './types.js';

const pod = (
  state: Record<string, unknown>,
  containers = ['task'],
  annotations: Record<string, string> = {},
): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'n', annotations },
    spec: { containers: containers.map((name) => ({ name, image: 'busybox' })) },
    status: { containerStatuses: [{ name: containers[0], state }] },
  }) as unknown as KubeObject;

describe('pods/log', () => {
  test('a finished container: start, scripted lines, exit and termination message', () => {
    const text = podLogText(
      pod(
        {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: '2026-01-01T00:00:00Z',
            finishedAt: '2026-01-01T00:00:02Z',
            message: '{"ok":true}',
          },
        },
        ['task'],
        { 'flotilla.io/sim-log': 'a\nb\n' },
      ),
      null,
    );
    assert.equal(
      text,
      '[simulated kubelet] container task started at 2026-01-01T00:00:00Z\na\nb\n' +
        '[simulated kubelet] container task exited with code 0 (Completed) at 2026-01-01T00:00:02Z\n[simulated kubelet] termination message: {"ok":true}\n',
    );
  });

  test('a running container has no exit line yet', () => {
    assert.equal(
      podLogText(pod({ running: { startedAt: '2026-01-01T00:00:00Z' } }), 'task'),
      '[simulated kubelet] container task started at 2026-01-01T00:00:00Z\n',
    );
  });

  test('400 as the real server: waiting to start, unknown container, several without a choice', () => {
    const status = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        assert.ok(error instanceof ApiError);
        return [error.status, error.message];
      }
      return undefined;
    };
    assert.deepEqual(
      status(() => podLogText(pod({ waiting: { reason: 'ContainerCreating' } }), null)),
      [400, 'container "task" in pod "p" is waiting to start: ContainerCreating'],
    );
    assert.deepEqual(
      status(() => podLogText(pod({}), 'other')),
      [400, 'container other is not valid for pod p'],
    );
    assert.equal(status(() => podLogText(pod({}, ['a', 'b']), null))?.[0], 400);
  });
});
