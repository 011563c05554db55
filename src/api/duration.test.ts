/** The one duration grammar: the CRD pattern's, whole milliseconds, `undefined` for anything else. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, MAX_DURATION_MS, msOf, parseDuration } from './duration.js';
import { DurationSchema } from './schema.js';

describe('parseDuration', () => {
  test('units and sums', () => {
    assert.equal(parseDuration('150ms'), 150);
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('2d'), 172_800_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('0s'), 0);
    assert.equal(parseDuration('366d'), MAX_DURATION_MS);
  });

  test('whole milliseconds, so validation and the engine see the same value', () => {
    assert.equal(parseDuration('0.4ms'), 0);
    assert.equal(parseDuration('1.6ms'), 2);
  });

  test('anything else is undefined, never a throw', () => {
    for (const bad of [
      '',
      'soon',
      '1 hour',
      '10',
      '0',
      ' 5s',
      '5s ',
      '1.s',
      '.5s',
      '-1s',
      '1w',
      'x'.repeat(65),
      `${'1s'.repeat(33)}`,
    ]) {
      assert.equal(parseDuration(bad), undefined, JSON.stringify(bad));
    }
    for (const bad of [undefined, null, 5, {}]) assert.equal(parseDuration(bad), undefined);
  });

  test('accepts exactly what the CRD pattern accepts (up to 64 characters)', () => {
    const pattern = new RegExp(DurationSchema.pattern ?? '');
    for (const text of ['1s', '1h30m', '2.5d', '1m1m', 'soon', '1', '1S', '1ms1s'])
      assert.equal(parseDuration(text) !== undefined, pattern.test(text), text);
  });
});

test('formatDuration and msOf', () => {
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(150), '150ms');
  assert.equal(msOf('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'));
  assert.equal(msOf('not a time'), undefined);
  assert.equal(msOf(undefined), undefined);
});
