import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkInvariants, parseOwnershipAudit, type InvariantInput, type RecordedEvent } from './invariants.js';

const t0 = Date.parse('2026-11-25T00:00:00Z');

function event(name: string, phase: string, offsetMs: number, scope = 'workflow', id = `uid-${name}/wf/${phase}`): RecordedEvent {
  return { id, scope, namespace: 'default', name, phase, occurredAt: new Date(t0 + offsetMs).toISOString() };
}

/** A clean run of two workflows on two replicas, handing shard 3 over once. */
function cleanRun(): InvariantInput {
  return {
    workflows: [
      { namespace: 'default', name: 'a', phase: 'Succeeded', expectedPhase: 'Succeeded' },
      { namespace: 'default', name: 'b', phase: 'Failed', expectedPhase: 'Failed' },
    ],
    podCreates: [
      { namespace: 'default', name: 'a-extract-1', code: 201 },
      { namespace: 'default', name: 'a-extract-1', code: 409 },
      { namespace: 'default', name: 'b-step-1', code: 201 },
      { namespace: 'default', name: 'b-step-2', code: 201 },
    ],
    ownership: [
      { t: 'start', shard: '3', replica: 'replica-1', key: 'default/a', at: t0 },
      { t: 'end', shard: '3', replica: 'replica-1', key: 'default/a', at: t0 + 100 },
      { t: 'start', shard: '3', replica: 'replica-1', key: 'default/b', at: t0 + 50 },
      { t: 'end', shard: '3', replica: 'replica-1', key: 'default/b', at: t0 + 150 },
      { t: 'start', shard: '3', replica: 'replica-2', key: 'default/a', at: new Date(t0 + 150).toISOString() },
      { t: 'end', shard: '3', replica: 'replica-2', key: 'default/a', at: new Date(t0 + 200).toISOString() },
      // replica-1 died mid-round on shard 4: a start with no end is not counted as a round
      { t: 'start', shard: '4', replica: 'replica-1', key: 'default/c', at: t0 + 10 },
      { t: 'start', shard: '4', replica: 'replica-2', key: 'default/c', at: t0 + 500 },
      { t: 'end', shard: '4', replica: 'replica-2', key: 'default/c', at: t0 + 600 },
    ],
    history: [
      { namespace: 'default', name: 'a', phase: undefined },
      { namespace: 'default', name: 'a', phase: 'Running', attempts: { extract: 1 } },
      { namespace: 'default', name: 'b', phase: 'Running', attempts: { step: 1 } },
      { namespace: 'default', name: 'b', phase: 'Running', attempts: { step: 2 } },
      { namespace: 'default', name: 'a', phase: 'Succeeding', attempts: { extract: 1 } },
      { namespace: 'default', name: 'a', phase: 'Succeeded', attempts: { extract: 1 } },
      { namespace: 'default', name: 'b', phase: 'Failing', attempts: { step: 2 } },
      { namespace: 'default', name: 'b', phase: 'Failed', attempts: { step: 2 } },
      { namespace: 'default', name: 'b', phase: 'Failed', attempts: { step: 2 } },
    ],
    events: [
      event('a', 'Running', 0),
      event('a', 'Succeeded', 200),
      event('a', 'Succeeded', 100, 'node', 'uid-a/node/extract/Succeeded'),
      event('b', 'Running', 0),
      event('b', 'Failed', 300),
    ],
  };
}

describe('checkInvariants', () => {
  test('a clean run has no violation, checks all five invariants and counts what it saw', () => {
    const report = checkInvariants(cleanRun());
    assert.deepEqual(report.violations, []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.checked, ['expected-phase', 'pod-launched-twice', 'shard-overlap', 'status-backwards', 'event-duplicate', 'event-terminal']);
    assert.deepEqual(report.counts, { workflows: 2, podCreates: 3, distinctPods: 3, rounds: 4, observations: 9, events: 5 });
  });

  test('only the invariants whose input is given are checked', () => {
    const report = checkInvariants({ workflows: cleanRun().workflows });
    assert.deepEqual(report.checked, ['expected-phase']);
    assert.equal(report.ok, true);
  });

  test('1: a workflow in another phase than expected, or missing', () => {
    const input = cleanRun();
    const report = checkInvariants({
      ...input,
      workflows: [
        { namespace: 'default', name: 'a', phase: 'Running', expectedPhase: 'Succeeded' },
        { namespace: 'default', name: 'b', phase: null, expectedPhase: 'Failed' },
      ],
    });
    assert.equal(report.ok, false);
    const expected = report.violations.filter((v) => v.code === 'expected-phase');
    assert.deepEqual(expected.map((v) => [v.subject, v.detail]), [
      ['default/a', 'ended Running, expected Succeeded'],
      ['default/b', 'ended missing, expected Failed'],
    ]);
  });

  test('2: a pod created twice (two successful creates of one name)', () => {
    const input = cleanRun();
    const report = checkInvariants({ ...input, podCreates: [...(input.podCreates ?? []), { namespace: 'default', name: 'b-step-1', code: 201 }] });
    assert.deepEqual(report.violations, [{ code: 'pod-launched-twice', subject: 'default/b-step-1', detail: 'created 2 times' }]);
  });

  test('3: two replicas running rounds on one shard at the same time', () => {
    const input = cleanRun();
    const report = checkInvariants({
      ...input,
      ownership: [
        ...(input.ownership ?? []),
        { t: 'start', shard: '3', replica: 'replica-3', key: 'default/b', at: t0 + 120 },
        { t: 'end', shard: '3', replica: 'replica-3', key: 'default/b', at: t0 + 130 },
      ],
    });
    assert.equal(report.violations.length, 1);
    assert.equal(report.violations[0]?.code, 'shard-overlap');
    assert.equal(report.violations[0]?.subject, 'shard 3');
    assert.match(report.violations[0]?.detail ?? '', /replica-1 ran default\/b .* while replica-3 started default\/b/);
  });

  test('3: back-to-back rounds of different replicas (end == next start) do not overlap', () => {
    const report = checkInvariants({
      workflows: [],
      ownership: [
        { t: 'start', shard: '1', replica: 'r1', key: 'k', at: t0 },
        { t: 'end', shard: '1', replica: 'r1', key: 'k', at: t0 + 10 },
        { t: 'start', shard: '1', replica: 'r2', key: 'k', at: t0 + 10 },
        { t: 'end', shard: '1', replica: 'r2', key: 'k', at: t0 + 20 },
      ],
    });
    assert.deepEqual(report.violations, []);
  });

  test('3: a round cut short by a crash is not paired with the restarted replica\'s later end; same-millisecond lines keep their order', () => {
    const report = checkInvariants({
      workflows: [],
      ownership: [
        { t: 'start', shard: '2', replica: 'r1', key: 'k', at: t0 }, // r1 SIGKILLed here
        { t: 'start', shard: '2', replica: 'r2', key: 'k', at: t0 + 100 },
        { t: 'end', shard: '2', replica: 'r2', key: 'k', at: t0 + 110 },
        { t: 'start', shard: '2', replica: 'r1', key: 'k', at: t0 + 500 }, // r1 restarted, shard back
        { t: 'end', shard: '2', replica: 'r1', key: 'k', at: t0 + 500 },
      ],
    });
    assert.deepEqual(report.violations, []);
    assert.equal(report.counts.rounds, 2);
  });

  test('4: a phase going backwards (Succeeded → Running), or one terminal phase replaced by another', () => {
    const input = cleanRun();
    const backwards = checkInvariants({ ...input, history: [...(input.history ?? []), { namespace: 'default', name: 'a', phase: 'Running', attempts: { extract: 1 } }] });
    assert.deepEqual(backwards.violations, [{ code: 'status-backwards', subject: 'default/a', detail: 'phase went from Succeeded to Running' }]);
    const flipped = checkInvariants({ ...input, history: [...(input.history ?? []), { namespace: 'default', name: 'b', phase: 'Succeeded' }] });
    assert.deepEqual(flipped.violations.map((v) => v.detail), ['phase went from Failed to Succeeded']);
  });

  test('4: node attempts decreasing, even when an observation in between lacked the node', () => {
    const report = checkInvariants({
      workflows: [],
      history: [
        { namespace: 'ns', name: 'w', phase: 'Running', attempts: { x: 2 } },
        { namespace: 'ns', name: 'w', phase: 'Running', attempts: {} },
        { namespace: 'ns', name: 'w', phase: 'Running', attempts: { x: 1 } },
      ],
    });
    assert.deepEqual(report.violations, [{ code: 'status-backwards', subject: 'ns/w', detail: 'node x attempts went from 2 to 1' }]);
  });

  test('5: an event id stored twice', () => {
    const input = cleanRun();
    const report = checkInvariants({ ...input, events: [...(input.events ?? []), event('b', 'Running', 0)] });
    assert.deepEqual(report.violations, [{ code: 'event-duplicate', subject: 'default/b', detail: 'event uid-b/wf/Running stored twice' }]);
  });

  test('5: the last workflow event is not the terminal phase, or there is none', () => {
    const input = cleanRun();
    const events = (input.events ?? []).filter((e) => !(e.name === 'b' && e.phase === 'Failed'));
    const report = checkInvariants({ ...input, events: [...events, event('b', 'Failing', 250)] });
    assert.deepEqual(report.violations.map((v) => [v.code, v.subject]), [['event-terminal', 'default/b']]);
    assert.match(report.violations[0]?.detail ?? '', /ended Failed but its last workflow event is Failing/);
    const none = checkInvariants({ ...input, events: (input.events ?? []).filter((e) => e.name !== 'a') });
    assert.deepEqual(none.violations, [{ code: 'event-terminal', subject: 'default/a', detail: 'ended Succeeded but its last workflow event is missing' }]);
  });
});

describe('parseOwnershipAudit', () => {
  test('reads JSON lines (numeric shards as strings) and skips a half-written last line', () => {
    const text = '{"t":"start","shard":1,"replica":"r1","key":"ns/w","at":5}\n{"t":"end","shard":"1","replica":"r1","key":"ns/w","at":"2026-11-25T00:00:00.000Z"}\n{"t":"sta';
    assert.deepEqual(parseOwnershipAudit(text), [
      { t: 'start', shard: '1', replica: 'r1', key: 'ns/w', at: 5 },
      { t: 'end', shard: '1', replica: 'r1', key: 'ns/w', at: '2026-11-25T00:00:00.000Z' },
    ]);
  });
});
