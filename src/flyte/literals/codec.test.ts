import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiteralMap } from '../../generated/flyteidl/flyteidl/core/literals.js';
import { decodeLiteralMap, encodeLiteralMap, literalMapJson } from './codec.js';

const literals = {
  rows: { scalar: { primitive: { integer: '42' } } },
  name: { scalar: { primitive: { stringValue: 'weekly' } } },
};

test('literalMapJson: a LiteralMap (as admin answers inline outputs) is the map of its literals, no wrapper', () => {
  const map = LiteralMap.fromJSON({ literals });
  assert.deepEqual(literalMapJson(map), literals);
  assert.ok(!('literals' in literalMapJson(map)));
});

test('decodeLiteralMap reads what encodeLiteralMap wrote, through the same shape', () => {
  assert.deepEqual(decodeLiteralMap(encodeLiteralMap(literals)), literals);
});
