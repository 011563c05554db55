import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startEventSink, type RunningEventSink } from '../events/sink/index.js';
import { createEventSinkClient, recordEvents } from '../events/client.js';
import type { ExecutionEvent } from '../engine/events.js';
import { ConsoleError } from './errors.js';
import { SinkReader } from './sink.js';

const workflow = { namespace: 'default', name: 'etl', uid: 'u-1' };

function event(id: string, fields: Partial<ExecutionEvent>): ExecutionEvent {
  return { id, scope: 'node', workflow, phase: 'Running', occurredAt: '2026-01-01T00:00:00.000Z', ...fields };
}

describe('SinkReader', () => {
  let sink: RunningEventSink;
  before(async () => {
    sink = await startEventSink({ store: { kind: 'memory' }, logger: pino({ level: 'silent' }) });
    const client = createEventSinkClient(sink.address);
    try {
      await recordEvents(client, [
        event('u-1/wf/Running', { scope: 'workflow', occurredAt: '2026-01-01T00:00:00.000Z' }),
        event('u-1/node/extract/Running', { nodeId: 'extract', occurredAt: '2026-01-01T00:00:01.000Z' }),
        event('u-1/task/extract/1/Failed', {
          scope: 'task',
          nodeId: 'extract',
          attempt: 1,
          phase: 'Failed',
          occurredAt: '2026-01-01T00:00:02.000Z',
          failure: { kind: 'user', reason: 'Exit', message: 'exit code 3' },
        }),
        event('u-2/wf/Running', { scope: 'workflow', workflow: { namespace: 'default', name: 'other', uid: 'u-2' } }),
      ]);
      // Many events of one workflow, to cross pages and the limit.
      await recordEvents(
        client,
        Array.from({ length: 30 }, (_, i) =>
          event(`u-3/node/n${i}/Running`, {
            workflow: { namespace: 'default', name: 'wide', uid: 'u-3' },
            nodeId: `n${i}`,
          }),
        ),
      );
    } finally {
      client.close();
    }
  });
  after(async () => {
    await sink.stop();
  });

  test("lists one workflow's events as rows: time, scope, node, attempt, phase, message (a failure's)", async () => {
    const reader = new SinkReader({ address: sink.address });
    try {
      const answer = await reader.events('default', 'etl');
      assert.equal(answer.configured, true);
      assert.equal(answer.truncated, false);
      assert.deepEqual(answer.events, [
        {
          occurredAt: '2026-01-01T00:00:00.000Z',
          scope: 'workflow',
          nodeId: null,
          attempt: null,
          phase: 'Running',
          message: null,
        },
        {
          occurredAt: '2026-01-01T00:00:01.000Z',
          scope: 'node',
          nodeId: 'extract',
          attempt: null,
          phase: 'Running',
          message: null,
        },
        {
          occurredAt: '2026-01-01T00:00:02.000Z',
          scope: 'task',
          nodeId: 'extract',
          attempt: 1,
          phase: 'Failed',
          message: 'exit code 3',
        },
      ]);
      assert.deepEqual((await reader.events('default', 'absent')).events, []);
    } finally {
      reader.close();
    }
  });

  test('stops at the limit and says the list is truncated', async () => {
    const reader = new SinkReader({ address: sink.address, limit: 12 });
    try {
      const answer = await reader.events('default', 'wide');
      assert.equal(answer.events.length, 12);
      assert.equal(answer.truncated, true);
      assert.deepEqual(
        answer.events.map((e) => e.nodeId),
        Array.from({ length: 12 }, (_, i) => `n${i}`),
      );
    } finally {
      reader.close();
    }
  });

  test('an unreachable sink is Unavailable, naming its address', async () => {
    const reader = new SinkReader({ address: '127.0.0.1:1', timeoutMs: 2_000 });
    try {
      await assert.rejects(
        reader.events('default', 'etl'),
        (error: unknown) =>
          error instanceof ConsoleError &&
          error.code === 'Unavailable' &&
          error.httpStatus === 503 &&
          /event sink 127\.0\.0\.1:1/.test(error.message),
      );
    } finally {
      reader.close();
    }
  });
});
