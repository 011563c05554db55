import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkInvariants,
  type InvariantInput,
  type OwnershipRecord,
  type RecordedEvent,
  type TaskStartRecord,
} from './invariants.js';
import { parseOwnershipAudit, parseReplicaAudit } from './audit-parse.js';

const t0 = Date.parse('2026-11-25T00:00:00Z');

function event(
  name: string,
  phase: string,
  offsetMs: number,
  scope = 'workflow',
  id = `uid-${name}/wf/${phase}`,
): RecordedEvent {
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
      // replica-1 died mid-round on shard 4 (no death given): the cut round runs until
      // replica-1's next start (t0 + 50), before replica-2 takes default/c
      { t: 'start', shard: '4', replica: 'replica-1', key: 'default/c', at: t0 + 10 },
      { t: 'start', shard: '4', replica: 'replica-2', key: 'default/c', at: t0 + 500 },
      { t: 'end', shard: '4', replica: 'replica-2', key: 'default/c', at: t0 + 600 },
    ],
    taskStarts: [
      {
        shard: '3',
        replica: 'replica-1',
        key: 'default/a',
        uid: 'uid-a',
        node: 'extract',
        attempt: 1,
        plugin: 'pod',
        at: t0 + 90,
      },
      {
        shard: '3',
        replica: 'replica-1',
        key: 'default/b',
        uid: 'uid-b',
        node: 'step',
        attempt: 1,
        plugin: 'flaky',
        at: t0 + 60,
      },
      {
        shard: '3',
        replica: 'replica-1',
        key: 'default/b',
        uid: 'uid-b',
        node: 'step',
        attempt: 2,
        plugin: 'flaky',
        at: t0 + 140,
      },
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
    assert.deepEqual(report.checked, [
      'expected-phase',
      'pod-launched-twice',
      'task-started-twice',
      'shard-overlap',
      'status-backwards',
      'event-duplicate',
      'event-terminal',
    ]);
    assert.deepEqual(report.counts, {
      workflows: 2,
      podCreates: 3,
      distinctPods: 3,
      rounds: 5,
      cutRounds: 1,
      fencedRounds: 0,
      taskStarts: 3,
      distinctTaskStarts: 3,
      observations: 9,
      events: 5,
    });
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
    assert.deepEqual(
      expected.map((v) => [v.subject, v.detail]),
      [
        ['default/a', 'ended Running, expected Succeeded'],
        ['default/b', 'ended missing, expected Failed'],
      ],
    );
  });

  test('2: a pod created twice (two successful creates of one name)', () => {
    const input = cleanRun();
    const report = checkInvariants({
      ...input,
      podCreates: [...(input.podCreates ?? []), { namespace: 'default', name: 'b-step-1', code: 201 }],
    });
    assert.deepEqual(report.violations, [
      { code: 'pod-launched-twice', subject: 'default/b-step-1', detail: 'created 2 times' },
    ]);
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

  test("3: a round cut short by a crash is not paired with the restarted replica's later end; same-millisecond lines keep their order", () => {
    const ownership: OwnershipRecord[] = [
      { t: 'start', shard: '2', replica: 'r1', key: 'k', at: t0 }, // r1 SIGKILLed at t0 + 50
      { t: 'start', shard: '2', replica: 'r2', key: 'k', at: t0 + 100 },
      { t: 'end', shard: '2', replica: 'r2', key: 'k', at: t0 + 110 },
      { t: 'start', shard: '2', replica: 'r1', key: 'k', at: t0 + 500 }, // r1 restarted, shard back
      { t: 'end', shard: '2', replica: 'r1', key: 'k', at: t0 + 500 },
    ];
    const report = checkInvariants({
      workflows: [],
      ownership,
      deaths: [{ replica: 'r1', at: new Date(t0 + 50).toISOString() }],
    });
    assert.deepEqual(report.violations, []);
    assert.equal(report.counts.rounds, 3);
    assert.equal(report.counts.cutRounds, 1);
    // Without the death, the cut round runs until r1's next start (its restart), over r2's round.
    const unknown = checkInvariants({ workflows: [], ownership });
    assert.deepEqual(
      unknown.violations.map((v) => [v.code, v.subject]),
      [['shard-overlap', 'shard 2']],
    );
    assert.match(unknown.violations[0]?.detail ?? '', /^r1 ran k \(cut: no end line\) until .* while r2 started k at /);
  });

  test('3: a cut round still running when another replica starts on its shard is a violation', () => {
    const report = checkInvariants({
      workflows: [],
      ownership: [
        { t: 'start', shard: '5', replica: 'r1', key: 'ns/a', at: t0 }, // r1 SIGKILLed at t0 + 300
        { t: 'start', shard: '5', replica: 'r2', key: 'ns/b', at: t0 + 200 },
        { t: 'end', shard: '5', replica: 'r2', key: 'ns/b', at: t0 + 210, outcome: 'success' },
      ],
      deaths: [{ replica: 'r1', at: t0 + 300 }],
    });
    assert.equal(report.violations.length, 1);
    assert.equal(report.violations[0]?.code, 'shard-overlap');
    assert.equal(report.violations[0]?.subject, 'shard 5');
    assert.match(
      report.violations[0]?.detail ?? '',
      /r1 ran ns\/a \(cut: no end line\) until 2026-11-25T00:00:00\.300Z while r2 started ns\/b at/,
    );
  });

  test("3: a cut round ends at its replica's death: another replica starting after it is fine; earlier deaths do not count", () => {
    const report = checkInvariants({
      workflows: [],
      ownership: [
        { t: 'start', shard: '5', replica: 'r1', key: 'ns/a', at: t0 + 100 },
        { t: 'start', shard: '5', replica: 'r2', key: 'ns/a', at: t0 + 300 },
        { t: 'end', shard: '5', replica: 'r2', key: 'ns/a', at: t0 + 320, outcome: 'requeue' },
      ],
      // r1 died once before this round (and restarted), then at t0 + 250 for good.
      deaths: [
        { replica: 'r1', at: t0 + 10 },
        { replica: 'r1', at: t0 + 250 },
        { replica: 'r2', at: t0 + 100 },
      ],
    });
    assert.deepEqual(report.violations, []);
    assert.deepEqual([report.counts.rounds, report.counts.cutRounds, report.counts.fencedRounds], [2, 1, 0]);
  });

  test("3: one replica's concurrent rounds of a shard (cut or not) never overlap each other", () => {
    const report = checkInvariants({
      workflows: [],
      ownership: [
        { t: 'start', shard: '1', replica: 'r1', key: 'ns/a', at: t0 },
        { t: 'start', shard: '1', replica: 'r1', key: 'ns/b', at: t0 + 1 },
        { t: 'start', shard: '1', replica: 'r1', key: 'ns/c', at: t0 + 2 },
        { t: 'end', shard: '1', replica: 'r1', key: 'ns/b', at: t0 + 40, outcome: 'success' },
        { t: 'end', shard: '1', replica: 'r1', key: 'ns/a', at: t0 + 50, outcome: 'requeue' },
        { t: 'start', shard: '1', replica: 'r1', key: 'ns/a', at: t0 + 60 }, // cut: r1 dies
      ],
      deaths: [{ replica: 'r1', at: t0 + 100 }],
    });
    assert.deepEqual(report.violations, []);
    assert.deepEqual([report.counts.rounds, report.counts.cutRounds], [4, 2]);
  });

  test("3: a round that wrote nothing (conflict, fenced, skipped) overlapping another replica's is counted, not a violation", () => {
    const paused = (outcome: OwnershipRecord['outcome']): OwnershipRecord[] => [
      // r2 SIGSTOPped mid-round; r1 took the shard over meanwhile; r2's status write got 409.
      { t: 'start', shard: '6', replica: 'r2', key: 'ns/a', at: t0 },
      { t: 'start', shard: '6', replica: 'r1', key: 'ns/a', at: t0 + 7000 },
      { t: 'end', shard: '6', replica: 'r1', key: 'ns/a', at: t0 + 7010, outcome: 'success' },
      { t: 'start', shard: '6', replica: 'r1', key: 'ns/b', at: t0 + 7020 },
      { t: 'end', shard: '6', replica: 'r1', key: 'ns/b', at: t0 + 7030, outcome: 'success' },
      {
        t: 'end',
        shard: '6',
        replica: 'r2',
        key: 'ns/a',
        at: t0 + 9000,
        ...(outcome !== undefined ? { outcome } : {}),
      },
    ];
    for (const outcome of ['conflict', 'fenced', 'skipped'] as const) {
      const report = checkInvariants({ workflows: [], ownership: paused(outcome) });
      assert.deepEqual(report.violations, [], outcome);
      assert.equal(report.counts.fencedRounds, 1, outcome);
    }
    // Strict: a round that acted (or says nothing of what it did) is a violation.
    for (const outcome of ['success', 'requeue', 'error', 'invalid', undefined] as const) {
      const report = checkInvariants({ workflows: [], ownership: paused(outcome) });
      assert.deepEqual(
        report.violations.map((v) => v.code),
        ['shard-overlap', 'shard-overlap'],
        `${String(outcome)}: both of r1's rounds ran inside r2's`,
      );
      assert.equal(report.counts.fencedRounds, 0);
    }
  });

  test('3: a round acted until its last lease proof: frozen after it, a late end is no overlap; a proof after the other started is', () => {
    const frozen = (provenAt: number): OwnershipRecord[] => [
      // r2 proved its lease and sent its status write, then was SIGSTOPped before the answer came.
      { t: 'start', shard: '6', replica: 'r2', key: 'ns/a', at: t0 },
      { t: 'start', shard: '6', replica: 'r1', key: 'ns/b', at: t0 + 7000 },
      { t: 'end', shard: '6', replica: 'r1', key: 'ns/b', at: t0 + 7010, outcome: 'success', provenAt: t0 + 7005 },
      { t: 'end', shard: '6', replica: 'r2', key: 'ns/a', at: t0 + 9000, outcome: 'success', provenAt },
    ];
    assert.deepEqual(checkInvariants({ workflows: [], ownership: frozen(t0 + 20) }).violations, []);
    // Proving ownership (and so acting) after r1 began on the shard is an overlap.
    assert.deepEqual(
      checkInvariants({ workflows: [], ownership: frozen(t0 + 7008) }).violations.map((v) => v.code),
      ['shard-overlap'],
    );
    // The proof never extends a round past its end line.
    const parsed = parseReplicaAudit(
      `${JSON.stringify({ t: 'end', shard: 6, replica: 'r2', key: 'ns/a', at: t0 + 9000, outcome: 'success', provenAt: t0 + 20 })}\n`,
    );
    assert.equal(parsed.ownership[0]?.provenAt, t0 + 20);
  });

  test('2: an attempt recorded as started by two committed starts', () => {
    const input = cleanRun();
    const twice: TaskStartRecord = {
      shard: '3',
      replica: 'replica-2',
      key: 'default/a',
      uid: 'uid-a',
      node: 'extract',
      attempt: 1,
      plugin: 'pod',
      at: new Date(t0 + 180).toISOString(),
    };
    const report = checkInvariants({ ...input, taskStarts: [...(input.taskStarts ?? []), twice] });
    assert.deepEqual(report.violations, [
      {
        code: 'task-started-twice',
        subject: 'default/a',
        detail:
          'node extract attempt 1 (pod) recorded as started 2 times: replica-1 at 2026-11-25T00:00:00.090Z, replica-2 at 2026-11-25T00:00:00.180Z',
      },
    ]);
    assert.deepEqual([report.counts.taskStarts, report.counts.distinctTaskStarts], [4, 3]);
  });

  test('2: an uncommitted start leaves no record; another attempt, or a re-created workflow (new uid), is another start', () => {
    // replica-1's round started extract#1 and was SIGKILLed before its status write (no record);
    // replica-2 started it again and committed: one record.
    const report = checkInvariants({
      workflows: [],
      taskStarts: [
        {
          shard: '0',
          replica: 'replica-2',
          key: 'ns/w',
          uid: 'u1',
          node: 'extract',
          attempt: 1,
          plugin: 'echo',
          at: t0 + 100,
        },
        {
          shard: '0',
          replica: 'replica-2',
          key: 'ns/w',
          uid: 'u1',
          node: 'extract',
          attempt: 2,
          plugin: 'echo',
          at: t0 + 200,
        },
        {
          shard: '0',
          replica: 'replica-1',
          key: 'ns/w',
          uid: 'u2',
          node: 'extract',
          attempt: 1,
          plugin: 'echo',
          at: t0 + 900,
        },
      ],
    });
    assert.deepEqual(report.violations, []);
    assert.deepEqual(report.checked, ['expected-phase', 'task-started-twice']);
    assert.deepEqual([report.counts.taskStarts, report.counts.distinctTaskStarts], [3, 3]);
  });

  test('4: a phase going backwards (Succeeded → Running), or one terminal phase replaced by another', () => {
    const input = cleanRun();
    const backwards = checkInvariants({
      ...input,
      history: [
        ...(input.history ?? []),
        { namespace: 'default', name: 'a', phase: 'Running', attempts: { extract: 1 } },
      ],
    });
    assert.deepEqual(backwards.violations, [
      { code: 'status-backwards', subject: 'default/a', detail: 'phase went from Succeeded to Running' },
    ]);
    const flipped = checkInvariants({
      ...input,
      history: [...(input.history ?? []), { namespace: 'default', name: 'b', phase: 'Succeeded' }],
    });
    assert.deepEqual(
      flipped.violations.map((v) => v.detail),
      ['phase went from Failed to Succeeded'],
    );
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
    assert.deepEqual(report.violations, [
      { code: 'status-backwards', subject: 'ns/w', detail: 'node x attempts went from 2 to 1' },
    ]);
  });

  test('5: an event id stored twice', () => {
    const input = cleanRun();
    const report = checkInvariants({ ...input, events: [...(input.events ?? []), event('b', 'Running', 0)] });
    assert.deepEqual(report.violations, [
      { code: 'event-duplicate', subject: 'default/b', detail: 'event uid-b/wf/Running stored twice' },
    ]);
  });

  test('5: the last workflow event is not the terminal phase, or there is none', () => {
    const input = cleanRun();
    const events = (input.events ?? []).filter((e) => !(e.name === 'b' && e.phase === 'Failed'));
    const report = checkInvariants({ ...input, events: [...events, event('b', 'Failing', 250)] });
    assert.deepEqual(
      report.violations.map((v) => [v.code, v.subject]),
      [['event-terminal', 'default/b']],
    );
    assert.match(report.violations[0]?.detail ?? '', /ended Failed but its last workflow event is Failing/);
    const none = checkInvariants({ ...input, events: (input.events ?? []).filter((e) => e.name !== 'a') });
    assert.deepEqual(none.violations, [
      {
        code: 'event-terminal',
        subject: 'default/a',
        detail: 'ended Succeeded but its last workflow event is missing',
      },
    ]);
  });
});

describe('parseReplicaAudit', () => {
  test("reads round lines (with their outcome) and task lines of a controller's audit file", () => {
    const text = [
      '{"t":"start","shard":3,"replica":"r1","key":"ns/w","at":10}',
      '{"t":"task","shard":3,"replica":"r1","key":"ns/w","uid":"u1","node":"a","attempt":1,"plugin":"echo","at":12}',
      '{"t":"task","shard":3,"replica":"r1","key":"ns/w","node":"b/2","attempt":3,"plugin":"pod","at":12}',
      '{"t":"end","shard":3,"replica":"r1","key":"ns/w","at":15,"outcome":"fenced"}',
      '{"t":"end","shard":3,"replica":"r1","key":"ns/w","at":16,"outcome":"made-up"}',
      '{"t":"task","shard":3,"replica":"r1","key":"ns/w","node":"c","attempt":"1","plugin":"echo","at":12}',
      '[1,2]',
      '{"t":"task","shard":3,"repl',
    ].join('\n');
    assert.deepEqual(parseReplicaAudit(text), {
      ownership: [
        { t: 'start', shard: '3', replica: 'r1', key: 'ns/w', at: 10 },
        { t: 'end', shard: '3', replica: 'r1', key: 'ns/w', at: 15, outcome: 'fenced' },
        { t: 'end', shard: '3', replica: 'r1', key: 'ns/w', at: 16 },
      ],
      taskStarts: [
        { shard: '3', replica: 'r1', key: 'ns/w', uid: 'u1', node: 'a', attempt: 1, plugin: 'echo', at: 12 },
        { shard: '3', replica: 'r1', key: 'ns/w', node: 'b/2', attempt: 3, plugin: 'pod', at: 12 },
      ],
    });
  });
});

describe('parseOwnershipAudit', () => {
  test('reads JSON lines (numeric shards as strings) and skips a half-written last line', () => {
    const text =
      '{"t":"start","shard":1,"replica":"r1","key":"ns/w","at":5}\n{"t":"end","shard":"1","replica":"r1","key":"ns/w","at":"2026-11-25T00:00:00.000Z"}\n{"t":"sta';
    assert.deepEqual(parseOwnershipAudit(text), [
      { t: 'start', shard: '1', replica: 'r1', key: 'ns/w', at: 5 },
      { t: 'end', shard: '1', replica: 'r1', key: 'ns/w', at: '2026-11-25T00:00:00.000Z' },
    ]);
  });
});
