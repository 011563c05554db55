/** The FlyteAdmin events of a round, from engine events (pure): ids, phases, outputs inline or by reference. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ExecutionEvent } from '../../engine/events.js';
import type { FlyteWorkflow } from '../types.js';
import { adminEventsOf } from './admin-events.js';
import { childExecutionName, eventNodeId, fixedLengthUniqueId, flyteBase32 } from './ids.js';

describe('event ids', () => {
  test("base32 in Flyte's alphabet: the FNV-1a 32 offset basis 0x811c9dc5 is 10000 00100 01110 01001 11011 10001 01000", () => {
    assert.equal(flyteBase32(new Uint8Array([0x81, 0x1c, 0x9d, 0xc5])), 'qeoj2ri');
    assert.equal(flyteBase32(new Uint8Array([0, 0, 0, 0])), 'aaaaaaa');
  });
  test('short ids stay, nested ones join parent, attempt and id, long ones become f + 7 characters', () => {
    assert.equal(eventNodeId(undefined, 'n0'), 'n0');
    assert.equal(eventNodeId({ uniqueId: 'n0', attempt: 0 }, 'n0-n2'), 'n0-0-n0-n2');
    const long = eventNodeId({ uniqueId: 'a-long-parent-id', attempt: 3 }, 'child-node');
    assert.match(long, /^f[a-z1-6]{7}$/);
    assert.equal(long, fixedLengthUniqueId('a-long-parent-id-3-child-node'));
    assert.notEqual(long, fixedLengthUniqueId('a-long-parent-id-4-child-node'));
    assert.equal(childExecutionName('p1', 'n0', 0), 'p1-n0-0');
    assert.match(childExecutionName('a-rather-long-parent-execution', 'n0', 0), /^f[a-z1-6]{13}$/);
  });
});

const fw = parse(
  readFileSync(new URL('../../../test/fixtures/flyte/b-branch.yaml', import.meta.url), 'utf8'),
) as FlyteWorkflow;
const identity = { namespace: 'ns', name: fw.metadata.name, uid: 'u' };
const ev = (
  scope: ExecutionEvent['scope'],
  phase: string,
  nodeId?: string,
  extra: Partial<ExecutionEvent> = {},
): ExecutionEvent => ({
  id: `${scope}/${nodeId ?? ''}/${phase}`,
  scope,
  workflow: identity,
  ...(nodeId !== undefined ? { nodeId } : {}),
  phase,
  occurredAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});
const round: ExecutionEvent[] = [
  ev('workflow', 'Running'),
  ev('node', 'Running', '_cond-n0'),
  ev('node', 'Succeeded', '_cond-n0'),
  ev('node', 'Running', 'n0'),
  ev('node', 'Running', 'n0/n0-n2'),
  ev('task', 'Queued', 'n0/n0-n2', { attempt: 1 }),
  ev('task', 'Failed', 'n0/n0-n2', { attempt: 1, failure: { kind: 'user', reason: 'USER:Flaky', message: 'flaky' } }),
  ev('node', 'WaitingForRetry', 'n0/n0-n2'),
  ev('node', 'Running', 'n0/n0-n2'),
  ev('task', 'Succeeded', 'n0/n0-n2', { attempt: 2 }),
];
const options = {
  dataDir: 'file:///m/p-d-x',
  before: undefined,
  after: { phase: 'Running' as const, nodes: { 'n0/n0-n2': { phase: 'Running' as const, attempts: 2 } } },
  reportedAt: '2026-01-01T00:00:01.000Z',
};

describe('adminEventsOf', () => {
  test('event version 2: unique ids with parent metadata; QUEUED once; synthetic steps unreported; tasks per attempt', () => {
    const events = adminEventsOf({ ...fw, workflowMeta: { eventVersion: 2 } }, round, options);
    assert.deepEqual(
      events.map((e) => e.requestId.slice(e.requestId.indexOf('/') + 1)),
      [
        'wf/RUNNING',
        'node/start-node/SUCCEEDED',
        'node/n0/QUEUED',
        'node/n0/RUNNING',
        'node/n0-0-n0-n2/QUEUED',
        'node/n0-0-n0-n2/RUNNING',
        'task/n0-0-n0-n2/0/QUEUED/0',
        'task/n0-0-n0-n2/0/FAILED/0',
        'task/n0-0-n0-n2/1/SUCCEEDED/0',
      ],
    );
    const child = events[4];
    assert.ok(child?.kind === 'node');
    assert.equal(child.event.parentNodeMetadata?.nodeId, 'n0');
    assert.equal(child.event.specNodeId, 'n0-n2');
    assert.equal(child.event.retryGroup, '0');
    const succeeded = events[8];
    assert.ok(succeeded?.kind === 'task');
    assert.equal(succeeded.event.retryAttempt, 1);
    assert.deepEqual(succeeded.event.outputResult, {
      $case: 'outputUri',
      outputUri: 'file:///m/p-d-x/n0/data/0/n0-n2/1/outputs.pb',
    });
    assert.equal(succeeded.event.taskId?.name, 'demo.branch.label');
  });

  test('event version 0: plain node ids, no parent metadata', () => {
    const events = adminEventsOf(fw, round, options);
    const child = events.find((e) => e.kind === 'node' && e.event.id?.nodeId === 'n0-n2');
    assert.ok(child?.kind === 'node');
    assert.equal(child.event.parentNodeMetadata, undefined);
  });

  test('a node already running before the round is not queued again', () => {
    const events = adminEventsOf(fw, [ev('node', 'Running', 'n0')], {
      ...options,
      before: { phase: 'Running', nodes: { n0: { phase: 'WaitingForRetry' } } },
    });
    assert.deepEqual(events, []);
  });

  test('outputs inline up to the limit, by reference above it', () => {
    const outputs = { o0: { scalar: { primitive: { stringValue: 'x'.repeat(100) } } } };
    const done = [ev('node', 'Succeeded', 'n0', { outputs })];
    const inline = adminEventsOf(fw, done, { ...options, maxInlineOutputBytes: 1000 });
    assert.equal(inline[0]?.kind === 'node' ? inline[0].event.outputResult?.$case : undefined, 'outputData');
    const byRef = adminEventsOf(fw, done, { ...options, maxInlineOutputBytes: 50 });
    assert.deepEqual(byRef[0]?.kind === 'node' ? byRef[0].event.outputResult : undefined, {
      $case: 'outputUri',
      outputUri: 'file:///m/p-d-x/n0/data/0/outputs.pb',
    });
  });

  test('the end: end node, SUCCEEDING, SUCCEEDED with the outputs URI; a failure carries its error', () => {
    const end = adminEventsOf(fw, [ev('workflow', 'Succeeded')], options).map((e) =>
      e.requestId.split('/').slice(1).join('/'),
    );
    assert.deepEqual(end, ['node/end-node/QUEUED', 'node/end-node/SUCCEEDED', 'wf/SUCCEEDING', 'wf/SUCCEEDED']);
    const failed = adminEventsOf(fw, [ev('workflow', 'Failed', undefined, { message: 'boom' })], options)[0];
    assert.ok(failed?.kind === 'workflow');
    assert.deepEqual(
      failed.event.outputResult?.$case === 'error' ? failed.event.outputResult.error.message : undefined,
      'boom',
    );
  });
});
