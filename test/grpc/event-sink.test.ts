/**
 * The EventSink over real gRPC on loopback, with the memory store and with a real Redis:
 * idempotent Record, late events for terminal entities, List paging, Watch from a point, and the
 * EventPublisher delivering exactly once under retries and replica (publisher) and sink restarts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startEventSink, type RunningEventSink } from '../../src/events/sink/index.js';
import {
  EventPublisher,
  createEventSinkClient,
  listEvents,
  recordEvents,
  watchEvents,
} from '../../src/events/client.js';
import type { ExecutionEvent } from '../../src/engine/events.js';
import { nodeEventId } from '../../src/engine/events.js';
import type { StoredEvent } from '../../src/events/sink/store.js';
import { RedisServer } from '../support/redis.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { runEvents, workflowRef } from './events-fixtures.js';

const quiet = pino({ level: 'silent' });
const silentLogger = pino({ level: 'warn' }, new Writable({ write: (_c, _e, cb) => cb() }));

async function listAll(
  address: string,
  namespace: string,
  name: string,
  pageSize: number,
): Promise<{ events: StoredEvent[]; pages: number }> {
  const client = createEventSinkClient(address);
  try {
    const events: StoredEvent[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await listEvents(client, { namespace, name, pageSize, pageToken: token });
      events.push(...page.events);
      token = page.nextPageToken;
      pages += 1;
    } while (token);
    return { events, pages };
  } finally {
    client.close();
  }
}

// 'redis-partitioned': the Cluster layout (four partitions, one hash tag each) on one server.
for (const kind of ['memory', 'redis', 'redis-partitioned'] as const) {
  describe(`event sink (${kind} store)`, () => {
    let redis: RedisServer | undefined;
    let sink: RunningEventSink;
    before(async () => {
      if (kind !== 'memory') redis = await RedisServer.start();
      sink = await startEventSink({
        store: redis
          ? { kind: 'redis', url: redis.url, ...(kind === 'redis-partitioned' ? { partitions: 4 } : {}) }
          : { kind: 'memory' },
        logger: quiet,
      });
    });
    after(async () => {
      await sink.stop();
      await redis?.stop();
    });

    test('Record stores each id once and acknowledges repeats as duplicates', async () => {
      const client = createEventSinkClient(sink.address);
      try {
        const events = runEvents('dedup', ['a']);
        const first = await recordEvents(client, events);
        assert.deepEqual(
          first.map((r) => r.outcome),
          events.map(() => 'stored'),
        );
        const again = await recordEvents(client, events);
        assert.deepEqual(
          again.map((r) => r.outcome),
          events.map(() => 'duplicate'),
        );
        assert.deepEqual(
          again.map((r) => r.cursor),
          first.map((r) => r.cursor),
          'a duplicate reports the first cursor',
        );
        const { events: listed } = await listAll(sink.address, 'team-a', 'dedup', 100);
        assert.deepEqual(
          listed.map((e) => e.event),
          events,
          'stored once, in order, fields intact (outputs round-trip exactly)',
        );
      } finally {
        client.close();
      }
    });

    test('a late event for a terminal node, attempt or workflow is acknowledged and dropped', async () => {
      const client = createEventSinkClient(sink.address);
      try {
        const events = runEvents('late', ['a']);
        await recordEvents(client, events);
        const workflow = workflowRef('late');
        const late: ExecutionEvent[] = [
          {
            id: nodeEventId(workflow.uid, 'a', 'Running-late'),
            scope: 'node',
            workflow,
            nodeId: 'a',
            phase: 'Failed',
            occurredAt: new Date().toISOString(),
          },
          {
            id: `${workflow.uid}/task/a/1/Running-again`,
            scope: 'task',
            workflow,
            nodeId: 'a',
            attempt: 1,
            phase: 'Running',
            occurredAt: new Date().toISOString(),
          },
          {
            id: `${workflow.uid}/wf/Failed`,
            scope: 'workflow',
            workflow,
            phase: 'Failed',
            occurredAt: new Date().toISOString(),
          },
        ];
        const dropsBefore = await sink.store.droppedCount();
        const results = await recordEvents(client, late);
        assert.deepEqual(
          results.map((r) => r.outcome),
          ['dropped', 'dropped', 'dropped'],
        );
        assert.equal((await sink.store.droppedCount()) - dropsBefore, 3);
        const { events: listed } = await listAll(sink.address, 'team-a', 'late', 100);
        assert.equal(listed.length, events.length);
        // A new attempt of the same node is a different entity and is accepted.
        const retry = await recordEvents(client, [
          {
            id: `${workflow.uid}/task/a/2/Running`,
            scope: 'task',
            workflow,
            nodeId: 'a',
            attempt: 2,
            phase: 'Running',
            occurredAt: new Date().toISOString(),
          },
        ]);
        assert.equal(retry[0]?.outcome, 'stored', 'node a is terminal, but attempt 2 is its own entity: stored');
      } finally {
        client.close();
      }
    });

    test('List pages through one workflow in order and rejects malformed requests', async () => {
      const client = createEventSinkClient(sink.address);
      try {
        const mine = runEvents('paged', ['a', 'b', 'c', 'd']);
        const other = runEvents('other', ['x']);
        // Interleave two workflows: each one's list must hold only its own, in order.
        for (let i = 0; i < Math.max(mine.length, other.length); i++) {
          const batch = [mine[i], other[i]].filter((e): e is ExecutionEvent => e !== undefined);
          await recordEvents(client, batch);
        }
        const { events, pages } = await listAll(sink.address, 'team-a', 'paged', 5);
        assert.equal(pages, Math.ceil(mine.length / 5));
        assert.deepEqual(
          events.map((e) => e.event.id),
          mine.map((e) => e.id),
        );
        await assert.rejects(
          listEvents(client, { namespace: '', name: 'paged' }),
          (e: { code?: number }) => e.code === 3,
        );
        await assert.rejects(
          listEvents(client, { namespace: 'team-a', name: 'paged', pageToken: 'not-a-cursor' }),
          (e: { code?: number }) => e.code === 3,
        );
        await assert.rejects(recordEvents(client, [{ ...mine[0]!, id: '' }]), (e: { code?: number }) => e.code === 3);
      } finally {
        client.close();
      }
    });

    test('Watch streams from the beginning, from now, and from a cursor', async () => {
      const client = createEventSinkClient(sink.address);
      const abort = new AbortController();
      try {
        const early = runEvents('watch-early', ['a']);
        const early0 = await recordEvents(client, early);
        const seenNow: string[] = [];
        const nowWatch = (async () => {
          for await (const stored of watchEvents(client, {
            from: 'now',
            namespace: 'team-a',
            name: 'watch-late',
            signal: abort.signal,
          }))
            seenNow.push(stored.event.id);
        })();
        const seenAll: string[] = [];
        const fromStart = (async () => {
          for await (const stored of watchEvents(client, { from: 'beginning', signal: abort.signal }))
            seenAll.push(stored.event.id);
        })();
        const seenAfter: string[] = [];
        const fromCursor = (async () => {
          for await (const stored of watchEvents(client, {
            from: early0[2]!.cursor,
            namespace: 'team-a',
            name: 'watch-early',
            signal: abort.signal,
          }))
            seenAfter.push(stored.event.id);
        })();
        // Give the "now" watch time to be established before the late events are recorded.
        await new Promise((r) => setTimeout(r, 300));
        const late = runEvents('watch-late', ['b']);
        await recordEvents(client, late);
        await waitFor(() => seenNow.length === late.length, { what: 'watch from now' });
        await waitFor(() => seenAll.includes(late[late.length - 1]!.id), { what: 'watch from beginning' });
        await waitFor(() => seenAfter.length === early.length - 3, { what: 'watch from cursor' });
        assert.deepEqual(
          seenNow,
          late.map((e) => e.id),
        );
        assert.deepEqual(
          seenAfter,
          early.slice(3).map((e) => e.id),
        );
        const order = (ids: string[]) => ids.filter((id) => early.some((e) => e.id === id));
        assert.deepEqual(
          order(seenAll),
          early.map((e) => e.id),
          'from the beginning includes what was stored before, in order',
        );
        abort.abort();
        await Promise.all([nowWatch, fromStart, fromCursor]);
      } finally {
        abort.abort();
        client.close();
      }
    });
  });
}

describe('EventPublisher against a Redis-backed sink', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis.stop();
  });

  test('events are recorded once under retries, publisher restarts and sink restarts', async () => {
    const port = await freePort();
    const events = runEvents('exactly-once', ['a', 'b', 'c', 'd', 'e', 'f']);
    // The sink is not up yet: the publisher buffers and retries with back-off.
    const first = new EventPublisher({
      address: `127.0.0.1:${port}`,
      batchSize: 4,
      retryBaseMs: 20,
      retryMaxMs: 200,
      callTimeoutMs: 1000,
      logger: silentLogger,
    });
    for (const event of events.slice(0, 20)) first.publish(event);
    await waitFor(() => first.stats.retries >= 2, { what: 'publisher retrying while the sink is down' });
    let sink = await startEventSink({ store: { kind: 'redis', url: redis.url }, port, logger: quiet });
    try {
      assert.equal(await first.flush(10_000), true);
      assert.equal(first.stats.delivered, 20);
      // The replica dies after sending part of the run; its successor replays the whole run.
      await first.close();
      const second = new EventPublisher({ address: sink.address, batchSize: 7, logger: silentLogger });
      for (const event of events) second.publish(event);
      assert.equal(await second.flush(10_000), true);
      assert.equal(second.stats.duplicates, 20);
      // The sink restarts (same Redis): a third replica replays everything again.
      await sink.stop();
      sink = await startEventSink({ store: { kind: 'redis', url: redis.url }, port, logger: quiet });
      for (const event of events) second.publish(event);
      assert.equal(await second.flush(10_000), true);
      assert.equal(second.stats.duplicates, 20 + events.length);
      await second.close();
      const { events: listed } = await listAll(sink.address, 'team-a', 'exactly-once', 1000);
      assert.deepEqual(
        listed.map((e) => e.event.id),
        events.map((e) => e.id),
        'each event stored exactly once, in order',
      );
    } finally {
      await sink.stop();
    }
  });

  test('publish never blocks or throws; overflow drops the oldest and counts it', async () => {
    const port = await freePort();
    const publisher = new EventPublisher({
      address: `127.0.0.1:${port}`,
      bufferSize: 10,
      batchSize: 5,
      retryBaseMs: 50,
      callTimeoutMs: 500,
      logger: silentLogger,
    });
    const events = runEvents('overflow', ['a', 'b', 'c', 'd', 'e']);
    for (const event of events) publisher.publish(event);
    assert.equal(publisher.stats.overflowed, events.length - 10);
    assert.ok(publisher.pending <= 10);
    assert.equal(await publisher.flush(300), false, 'flush times out while the sink is down');
    const sink = await startEventSink({ store: { kind: 'memory' }, port, logger: quiet });
    try {
      assert.equal(await publisher.flush(10_000), true);
      const { events: listed } = await listAll(sink.address, 'team-a', 'overflow', 100);
      // The first batch was in flight when the buffer overflowed: it is kept; of the rest the newest survive.
      assert.deepEqual(
        listed.map((e) => e.event.id),
        [...events.slice(0, 5), ...events.slice(-5)].map((e) => e.id),
        'in-flight batch and the newest 5 survive, in order',
      );
      await publisher.close();
      publisher.publish(events[0]!);
      assert.equal(publisher.stats.overflowed, events.length - 10 + 1, 'publishing after close is dropped, not thrown');
    } finally {
      await sink.stop();
    }
  });
});
