/** The lifecycle runner with hand-written components that record what happens to them. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle, LifecycleError, component, type Component, type Stage } from './index.js';

class Fake implements Component {
  startedWith: AbortSignal | undefined;
  stops = 0;
  constructor(
    readonly name: string,
    readonly stage: Stage,
    private readonly journal: string[],
    private readonly behaviour: {
      failStart?: boolean;
      failStop?: boolean;
      startGate?: Promise<void>;
      stopNever?: boolean;
    } = {},
  ) {}
  async start(signal: AbortSignal): Promise<void> {
    this.startedWith = signal;
    this.journal.push(`start ${this.name}`);
    await this.behaviour.startGate;
    if (this.behaviour.failStart) throw new Error(`${this.name} broke`);
  }
  async stop(): Promise<void> {
    this.stops++;
    this.journal.push(`stop ${this.name}`);
    if (this.behaviour.stopNever) await new Promise(() => undefined);
    if (this.behaviour.failStop) throw new Error(`${this.name} stuck`);
  }
}

describe('Lifecycle', () => {
  test('starts servers → caches → leases → workers (given order within a stage) and stops in reverse', async () => {
    const journal: string[] = [];
    const parts = [
      new Fake('worker', 'worker', journal),
      new Fake('lease', 'lease', journal),
      new Fake('cache-a', 'cache', journal),
      new Fake('server', 'server', journal),
      new Fake('cache-b', 'cache', journal),
    ];
    const lifecycle = new Lifecycle(parts);
    assert.equal(lifecycle.ready(), 'not started');
    await lifecycle.start();
    assert.equal(lifecycle.ready(), true);
    await lifecycle.stop({ graceMs: 0 });
    assert.equal(parts[0]?.startedWith?.aborted, false, 'a stop after the start does not abort the start signal');
    assert.deepEqual(journal, [
      'start server',
      'start cache-a',
      'start cache-b',
      'start lease',
      'start worker',
      'stop worker',
      'stop lease',
      'stop cache-b',
      'stop cache-a',
      'stop server',
    ]);
    assert.equal(lifecycle.ready(), 'stopping');
  });

  test('a failed start stops those already started, in reverse, and names the component', async () => {
    const journal: string[] = [];
    const broken = new Fake('lease', 'lease', journal, { failStart: true });
    const worker = new Fake('worker', 'worker', journal);
    const lifecycle = new Lifecycle([
      new Fake('server', 'server', journal),
      new Fake('cache', 'cache', journal),
      broken,
      worker,
    ]);
    await assert.rejects(lifecycle.start(), (error: unknown) => {
      assert.ok(error instanceof LifecycleError);
      assert.equal(error.code, 'StartFailed');
      assert.equal(error.component, 'lease');
      assert.match(error.message, /lease failed to start: lease broke/);
      assert.ok(error.cause instanceof Error);
      return true;
    });
    assert.deepEqual(journal, ['start server', 'start cache', 'start lease', 'stop cache', 'stop server']);
    assert.equal(broken.stops, 0, 'the failed component cleans up after itself');
    assert.equal(worker.stops, 0);
    await lifecycle.stop();
    assert.equal(journal.length, 5, 'a later stop stops nothing twice');
  });

  test('start and stop are idempotent', async () => {
    const journal: string[] = [];
    const server = new Fake('server', 'server', journal);
    const lifecycle = new Lifecycle([server]);
    await Promise.all([lifecycle.start(), lifecycle.start()]);
    await Promise.all([lifecycle.stop(), lifecycle.stop()]);
    await lifecycle.stop();
    assert.deepEqual(journal, ['start server', 'stop server']);
  });

  test('a start after a stop is refused', async () => {
    const lifecycle = new Lifecycle([new Fake('server', 'server', [])]);
    await lifecycle.stop();
    await assert.rejects(
      lifecycle.start(),
      (error: unknown) => error instanceof LifecycleError && error.code === 'Stopped',
    );
  });

  test('a stop during the start aborts the signal, lets the current start settle, then stops what started', async () => {
    const journal: string[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const cache = new Fake('cache', 'cache', journal, { startGate: gate });
    const lifecycle = new Lifecycle([
      new Fake('server', 'server', journal),
      cache,
      new Fake('worker', 'worker', journal),
    ]);
    const starting = lifecycle.start();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lifecycle.ready(), 'starting cache');
    const stopping = lifecycle.stop({ graceMs: 0 });
    assert.equal(cache.startedWith?.aborted, true);
    open();
    await assert.rejects(
      starting,
      (error: unknown) => error instanceof LifecycleError && error.code === 'StartAborted',
    );
    await stopping;
    assert.deepEqual(journal, ['start server', 'start cache', 'stop cache', 'stop server']);
  });

  test('every component is stopped even when one fails or hangs; the failures are thrown with their names', async () => {
    const journal: string[] = [];
    const lifecycle = new Lifecycle(
      [
        new Fake('server', 'server', journal),
        new Fake('cache', 'cache', journal, { stopNever: true }),
        new Fake('worker', 'worker', journal, { failStop: true }),
      ],
      { stopMarginMs: 20 },
    );
    await lifecycle.start();
    await assert.rejects(lifecycle.stop({ graceMs: 0 }), (error: unknown) => {
      assert.ok(error instanceof LifecycleError);
      assert.equal(error.code, 'StopFailed');
      assert.match(error.message, /worker, cache failed to stop/);
      assert.ok(error.cause instanceof AggregateError);
      assert.deepEqual(
        error.cause.errors.map((e: LifecycleError) => e.code),
        ['StopFailed', 'StopTimedOut'],
      );
      return true;
    });
    assert.deepEqual(journal, [
      'start server',
      'start cache',
      'start worker',
      'stop worker',
      'stop cache',
      'stop server',
    ]);
  });

  test('component() builds a component from optional functions', async () => {
    const journal: string[] = [];
    const lifecycle = new Lifecycle([
      component({ name: 'only-stop', stage: 'worker', stop: ({ graceMs }) => void journal.push(`stop ${graceMs}`) }),
      component({ name: 'only-start', stage: 'server', start: () => void journal.push('start') }),
    ]);
    await lifecycle.start();
    await lifecycle.stop({ graceMs: 5 });
    assert.deepEqual(journal, ['start', 'stop 5']);
  });
});
