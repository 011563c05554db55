import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyQueue } from './work-queue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('KeyQueue', () => {
  test('a key added while it is processed is processed again, once', async () => {
    const runs: string[] = [];
    let release: () => void = () => undefined;
    const queue = new KeyQueue(async (key) => {
      runs.push(key);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
    }, 4);
    queue.add('a');
    await tick();
    queue.add('a');
    queue.add('a');
    release();
    await tick(20);
    assert.deepEqual(runs, ['a', 'a']);
    await queue.stop();
  });
  test('bounds concurrency and never runs one key twice at once', async () => {
    let active = 0;
    let peak = 0;
    const activeKeys = new Set<string>();
    const queue = new KeyQueue(async (key) => {
      assert.ok(!activeKeys.has(key));
      activeKeys.add(key);
      active++;
      peak = Math.max(peak, active);
      await tick(2);
      active--;
      activeKeys.delete(key);
    }, 3);
    for (let i = 0; i < 50; i++) queue.add(`k${i % 10}`);
    await tick(100);
    assert.equal(peak, 3);
    await queue.stop();
  });
  test('stop waits for keys in progress', async () => {
    let finished = false;
    const queue = new KeyQueue(async () => {
      await tick(30);
      finished = true;
    }, 1);
    queue.add('x');
    await tick(1);
    await queue.stop();
    assert.equal(finished, true);
  });
});
