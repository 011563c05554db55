import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, readSimSpec } from './annotations.js';
import { KubeletError } from './errors.js';

describe('parseDuration', () => {
  test('reads Go durations', () => {
    assert.equal(parseDuration('150ms'), 150);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration(' 250ms '), 250);
  });
  test('refuses what is not a duration', () => {
    for (const bad of ['', '2', 'abc', '2x', 's', '1s junk', '-1s']) {
      assert.throws(
        () => parseDuration(bad),
        (e: unknown) => e instanceof KubeletError && e.code === 'InvalidAnnotation',
        bad,
      );
    }
  });
});

describe('readSimSpec', () => {
  const defaults = { runMs: 1000 };
  test('defaults when absent', () => {
    assert.deepEqual(readSimSpec(undefined, defaults), {
      runMs: 1000,
      exitCode: 0,
      message: undefined,
      failure: undefined,
      problems: [],
    });
  });
  test('reads every annotation', () => {
    const spec = readSimSpec(
      {
        'flotilla.io/sim-duration': '2s',
        'flotilla.io/sim-exit-code': '3',
        'flotilla.io/sim-message': '{"x":1}',
        'flotilla.io/sim-failure': 'OOMKilled',
      },
      defaults,
    );
    assert.equal(spec.runMs, 2000);
    assert.equal(spec.exitCode, 3);
    assert.equal(spec.message, '{"x":1}');
    assert.equal(spec.failure, 'OOMKilled');
  });
  test('forever means no end', () => {
    assert.equal(readSimSpec({ 'flotilla.io/sim-duration': 'forever' }, defaults).runMs, undefined);
  });
  test('bad values fall back to defaults and are reported', () => {
    const spec = readSimSpec(
      { 'flotilla.io/sim-duration': 'soon', 'flotilla.io/sim-exit-code': '300', 'flotilla.io/sim-failure': 'Meteor' },
      defaults,
    );
    assert.equal(spec.runMs, 1000);
    assert.equal(spec.exitCode, 0);
    assert.equal(spec.failure, undefined);
    assert.equal(spec.problems.length, 3);
  });
});
