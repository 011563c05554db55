/** `copyJson` and `sameJson` agree with the JSON round trip they replace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyJson, sameJson } from './json-copy.js';

const samples: unknown[] = [
  {},
  { a: 1, b: 'x', c: null, d: true, e: [1, 'two', null, { f: [] }] },
  { skipped: undefined, fn: () => 1, kept: 0 },
  [undefined, () => 1, Number.NaN, Infinity, -0, 'z'],
  { n: Number.NaN, i: -Infinity, nested: { deep: { deeper: [[1], [2, { x: undefined }]] } } },
  { '2': 'b', '1': 'a', z: 1, y: 2 },
  { at: new Date(0) },
  { nodes: { a: { phase: 'Succeeded', outputs: { v: 1 } }, b: { phase: 'Running', attempts: [{ n: 1 }] } } },
];

test('copyJson is JSON.parse(JSON.stringify(x)) and shares nothing with its input', () => {
  for (const sample of samples) {
    const copied = copyJson(sample);
    assert.deepEqual(copied, JSON.parse(JSON.stringify(sample)));
    assert.equal(JSON.stringify(copied), JSON.stringify(sample));
    if (typeof sample === 'object' && sample !== null) assert.notEqual(copied, sample);
  }
  const input = { nodes: { a: { list: [1] } } };
  const copied = copyJson(input);
  copied.nodes.a.list.push(2);
  assert.deepEqual(input.nodes.a.list, [1]);
});

test('sameJson(a, b) is JSON.stringify(a) === JSON.stringify(b)', () => {
  const variants: unknown[] = [
    ...samples,
    { a: 1, b: 'x', c: null, d: true, e: [1, 'two', null, { f: [1] }] },
    { kept: 0 },
    { kept: 0, extra: undefined },
    { y: 2, z: 1, '1': 'a', '2': 'b' },
    { z: 1, y: 2, '1': 'a', '2': 'b' },
    [null, null, null, null, 0, 'z'],
    { n: null, i: null, nested: { deep: { deeper: [[1], [2, {}]] } } },
    { at: '1970-01-01T00:00:00.000Z' },
    { nodes: { b: { phase: 'Running', attempts: [{ n: 1 }] }, a: { phase: 'Succeeded', outputs: { v: 1 } } } },
    { a: [] },
    { a: {} },
    { a: '1' },
    { a: 1 },
  ];
  for (const a of variants)
    for (const b of variants)
      assert.equal(
        sameJson(a, b),
        JSON.stringify(a) === JSON.stringify(b),
        `${JSON.stringify(a)} vs ${JSON.stringify(b)}`,
      );
});
