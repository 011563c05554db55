/**
 * `startSandbox({ flyte: true })`: the FlyteWorkflow CRD is served, sandbox.json names the blob
 * store (`blobStore.url`), and a FlyteWorkflow (a-container-chain.yaml under a fresh name) runs to
 * Succeeded on the fleet's replica, its pods completed by the kubelet's pyflyte-execute stand-in
 * writing into that store; the sandbox's recording admin (`admin.address`) holds its events. The
 * cached-task demo (examples/flyte/cached-chain.yaml run twice) ends with both executions Succeeded
 * and the second's tasks taken from the fleet's embedded catalog (CACHE_HIT, no pod), which the
 * summary line counts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../src/flyte/types.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/sandbox.js';
import type { SandboxState } from '../../sandbox/state.js';
import { FlyteCacheDemo, renderCacheDemo } from '../../sandbox/flyte-cache.js';
import { fixture, get } from '../flyte/fixtures.js';
import { waitFor } from '../support/wait.js';

const NS = 'flytesnacks-development';

describe('flotilla sandbox --flyte', () => {
  let dir: string;
  let sandbox: RunningSandbox | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sandbox-flyte-'));
    sandbox = await startSandbox({ stateDir: dir, flyte: true, replicas: 1, shardCount: 2 });
  });
  after(async () => {
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('sandbox.json names the blob store; a FlyteWorkflow runs to Succeeded on the fleet', async () => {
    assert.ok(sandbox);
    const state = JSON.parse(readFileSync(join(dir, 'sandbox.json'), 'utf8')) as SandboxState;
    assert.equal(state.blobStore?.url, `file://${join(dir, 'blobs')}`);
    await sandbox.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    const fw = fixture('a-container-chain.yaml');
    get(fw, 'metadata')['name'] = 'sbchain1';
    get(fw, 'metadata', 'labels')['execution-id'] = 'sbchain1';
    get(fw, 'executionId')['name'] = 'sbchain1';
    delete fw['status'];
    const custom = sandbox.kubeConfig.makeApiClient(CustomObjectsApi);
    const api = { group: FLYTE_GROUP, version: FLYTE_VERSION, plural: FLYTE_PLURAL, namespace: NS };
    await custom.createNamespacedCustomObject({ ...api, body: fw });
    const done = await waitFor(
      async () => {
        const got = (await custom.getNamespacedCustomObject({ ...api, name: 'sbchain1' })) as {
          status?: { phase?: number; message?: string; dataDir?: string };
        };
        const phase = got.status?.phase;
        return phase === 3 || phase === 5 || phase === 6 ? got : undefined;
      },
      { what: 'sbchain1 terminal', timeoutMs: 90_000 },
    );
    assert.equal(done.status?.phase, 3, done.status?.message);
    assert.ok(
      done.status?.dataDir?.startsWith(state.blobStore?.url ?? '-'),
      `dataDir ${String(done.status?.dataDir)} in the sandbox's store`,
    );
    // The recording admin (sandbox.json `admin.address`) got the execution's events from the fleet.
    assert.match(state.admin?.address ?? '', /^127\.0\.0\.1:\d+$/);
    const recorded = await waitFor(
      () => {
        const lines = readFileSync(state.admin?.eventsFile ?? '-', 'utf8')
          .split('\n')
          .filter((l) => l !== '');
        const events = lines.map((l) => JSON.parse(l) as { kind: string; execution: string; phase: string });
        const mine = events.filter((e) => e.execution === 'flytesnacks:development:sbchain1' && e.kind === 'workflow');
        return mine.at(-1)?.phase === 'SUCCEEDED' ? mine : undefined;
      },
      { what: 'sbchain1 SUCCEEDED at the recording admin', timeoutMs: 10_000 },
    );
    assert.deepEqual(
      recorded.map((e) => e.phase),
      ['RUNNING', 'SUCCEEDING', 'SUCCEEDED'],
    );
  });

  test('the cached-task demo runs the cached chain twice; the second takes every task from the cache', async () => {
    assert.ok(sandbox);
    const events: string[] = [];
    const demo = new FlyteCacheDemo({
      kubeConfig: sandbox.kubeConfig,
      file: join(import.meta.dirname, '..', '..', 'examples', 'flyte', 'cached-chain.yaml'),
      onEvent: (text) => events.push(text),
    });
    const stop = new AbortController();
    demo.start(stop.signal);
    await waitFor(async () => demo.stats.done || demo.stats.error !== undefined, {
      what: 'cache demo done',
      timeoutMs: 120_000,
    });
    const stats = demo.stats;
    assert.equal(stats.error, undefined);
    assert.equal(stats.succeeded, 2, events.join('\n'));
    assert.equal(stats.hits, 3, `the second execution's three tasks are hits: ${events.join('\n')}`);
    assert.equal(stats.populated, 3, 'the first execution ran and cached its three tasks');
    assert.match(events[1] ?? '', /-2 succeeded; 3 task\(s\) from the cache \(CACHE_HIT\)/);
    const pods = sandbox.apiServer.faults
      .audit({ resource: 'pods', verb: 'create' })
      .filter((e) => e.code < 300 && e.name.startsWith(stats.executions[1] ?? '-'));
    assert.deepEqual(pods, [], 'the second execution created no pod');
    assert.match(
      renderCacheDemo(stats),
      /cache hits +3 hits · 3 populated \(cached FlyteWorkflow run twice: .*; 2\/2 succeeded\)/,
    );
  });
});
