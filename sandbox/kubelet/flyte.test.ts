import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { encodePodStandInSpec, POD_STAND_IN_ANNOTATION } from '../../src/flyte/container/pod-stand-in.js';
import { decodeErrorDocument, decodeLiteralMap, encodeLiteralMap } from '../../src/flyte/literals/codec.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { openBlobStore } from '../../src/storage/open.js';
import { isFlytePod, runFlyteContainer } from './flyte.js';
import { decide } from './stages.js';
import { capTerminationMessage, MAX_TERMINATION_MESSAGE_BYTES } from './status.js';

describe('termination message cap', () => {
  test('short messages are kept; long ones keep their last 4096 bytes', () => {
    assert.equal(capTerminationMessage('{"rows":3}'), '{"rows":3}');
    const long = `${'x'.repeat(10)}${'y'.repeat(MAX_TERMINATION_MESSAGE_BYTES)}`;
    assert.equal(capTerminationMessage(long), 'y'.repeat(MAX_TERMINATION_MESSAGE_BYTES));
  });
  test('a multi-byte character cut at the start is dropped, never half-kept', () => {
    const capped = capTerminationMessage(`${'é'.repeat(3000)}`);
    assert.ok(Buffer.byteLength(capped) <= MAX_TERMINATION_MESSAGE_BYTES);
    assert.match(capped, /^é+$/);
    assert.equal(capped.length, 2048);
  });
});

describe('the pyflyte-execute stand-in', () => {
  let dir: string;
  let store: BlobStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-kubelet-flyte-'));
    store = await openBlobStore(`file://${dir}`);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function flytePod(name: string, rules: object[] = [], attempt = 0): V1Pod {
    const out = store.join(name, 'out');
    return {
      metadata: {
        name,
        uid: `u-${name}`,
        annotations: {
          [POD_STAND_IN_ANNOTATION]: encodePodStandInSpec({
            taskName: 'demo.add',
            path: 'n0',
            nodeId: 'n0',
            outputs: { total: { simple: 'INTEGER' } },
            rules: rules as never[],
          }),
        },
      },
      spec: {
        containers: [
          {
            name,
            image: 'x',
            args: [
              'pyflyte-execute',
              '--inputs',
              store.join(name, 'inputs.pb'),
              '--output-prefix',
              out,
              '--',
              'task-module',
              'demo',
            ],
            env: [{ name: 'FLYTE_ATTEMPT_NUMBER', value: String(attempt) }],
          },
        ],
      },
    };
  }

  test('recognises the entrypoint in command or args', () => {
    assert.equal(isFlytePod(flytePod('a')), true);
    assert.equal(isFlytePod({ spec: { containers: [{ name: 'c', command: ['pyflyte-fast-execute'] }] } }), true);
    assert.equal(isFlytePod({ spec: { containers: [{ name: 'c', command: ['python', 'main.py'] }] } }), false);
  });

  test('reads --inputs, writes outputs.pb under --output-prefix, exits 0', async () => {
    const pod = flytePod('ok');
    await store.put(
      store.join('ok', 'inputs.pb'),
      encodeLiteralMap({
        a: { scalar: { primitive: { integer: '2' } } },
        b: { scalar: { primitive: { integer: '5' } } },
      }),
    );
    assert.deepEqual(await runFlyteContainer(pod, store), { exitCode: 0, reason: 'Completed' });
    assert.deepEqual(decodeLiteralMap(await store.get(store.join('ok', 'out', 'outputs.pb'))), {
      total: { scalar: { primitive: { integer: '7' } } },
    });
  });

  test('a failure rule writes error.pb and exits 1; FLYTE_ATTEMPT_NUMBER picks the attempt', async () => {
    const rules = [{ selector: 'n0', fail: { message: 'nope', attempts: 1 } }];
    await store.put(store.join('bad', 'inputs.pb'), encodeLiteralMap({}));
    const exit = await runFlyteContainer(flytePod('bad', rules), store);
    assert.equal(exit.exitCode, 1);
    assert.match(exit.message ?? '', /nope/);
    assert.equal(decodeErrorDocument(await store.get(store.join('bad', 'out', 'error.pb'))).message, 'nope');
    await store.put(store.join('bad2', 'inputs.pb'), encodeLiteralMap({}));
    assert.equal((await runFlyteContainer(flytePod('bad2', rules, 1), store)).exitCode, 0);
  });

  test('no store, no inputs or no --output-prefix: the container crashes with the reason', async () => {
    assert.match((await runFlyteContainer(flytePod('x'), undefined)).message ?? '', /no blob store/);
    assert.match((await runFlyteContainer(flytePod('missing'), store)).message ?? '', /stand-in: .*/);
    const noPrefix: V1Pod = {
      metadata: { name: 'n' },
      spec: { containers: [{ name: 'n', args: ['pyflyte-execute'] }] },
    };
    assert.match((await runFlyteContainer(noPrefix, store)).message ?? '', /--inputs and --output-prefix/);
  });

  test('only a normal end of the run is a completion (not a kill or an OOM)', () => {
    const base = flytePod('stage');
    const running: V1Pod = {
      ...base,
      spec: { ...base.spec, containers: base.spec?.containers ?? [], nodeName: 'n' },
      status: { phase: 'Running', startTime: new Date(0) },
    };
    const config = { nodeName: 'n', pendingMs: 10, runMs: 100 };
    assert.deepEqual(decide(running, undefined, 1000, config)?.completes, { startedAt: 0 });
    const oom: V1Pod = {
      ...running,
      metadata: {
        ...running.metadata,
        annotations: { ...running.metadata?.annotations, 'flotilla.io/sim-failure': 'OOMKilled' },
      },
    };
    assert.equal(decide(oom, undefined, 1000, config)?.completes, undefined);
  });
});
