import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineTimers } from './timers.js';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('DeadlineTimers', () => {
  test('fires each key once, in deadline order', async () => {
    const fired: string[] = [];
    const timers = new DeadlineTimers((key) => fired.push(key));
    const t0 = Date.now();
    for (let i = 0; i < 200; i++) timers.at(`k${i}`, t0 + 20 + ((i * 37) % 60));
    timers.at('first', t0 + 5);
    await sleep(150);
    assert.equal(fired.length, 201);
    assert.equal(fired[0], 'first');
    assert.equal(new Set(fired).size, 201);
    timers.stop();
  });
  test('an earlier deadline wins over a later one; cancel removes it', async () => {
    const fired: { key: string; at: number }[] = [];
    const timers = new DeadlineTimers((key) => fired.push({ key, at: Date.now() }));
    const t0 = Date.now();
    timers.at('a', t0 + 200);
    timers.at('a', t0 + 20);
    timers.at('a', t0 + 100);
    timers.at('b', t0 + 30);
    timers.cancel('b');
    await sleep(300);
    assert.deepEqual(
      fired.map((f) => f.key),
      ['a'],
    );
    assert.ok((fired[0]?.at ?? 0) >= t0 + 20);
    timers.stop();
  });
  test('never fires before its deadline', async () => {
    const late: number[] = [];
    const timers = new DeadlineTimers((key) => late.push(Date.now() - Number(key)));
    for (let i = 0; i < 50; i++) {
      const due = Date.now() + 5 + i;
      timers.at(String(due), due);
    }
    await sleep(150);
    assert.equal(late.length > 0, true);
    assert.ok(
      late.every((d) => d >= 0),
      `fired early: ${late.join(',')}`,
    );
    timers.stop();
  });
});
