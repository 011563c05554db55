/**
 * `flotilla console` in a real headless Chromium (Debian's chromium through playwright-core)
 * against the embedded API server over HTTPS (with RBAC for a second, restricted user), a real
 * Redis and one replica in lease mode that is also the shard manager:
 * the examples appear in /workflows; a workflow's graph turns its nodes Succeeded live (no
 * reload); a gate is approved from the page and the workflow finishes; an abort without rights is
 * refused with the API server's 403 message; writes without a token or from another site are
 * refused; the workflow page lists the execution events the replica sent to a real event sink; a
 * node's outputs the replica offloaded to a file:// blob store are shown when its panel opens; the
 * fleet page shows rounds/s. Screenshots of the three pages go to .flotilla/screenshots/console
 * (git-ignored).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { Browser, Page } from 'playwright-core';
import {
  spawnController,
  startControllerEnv,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { launchChromium } from '../support/browser.js';
import { waitFor } from '../support/wait.js';
import { ensureNamespace, loadExamples, submitWorkflow } from '../../sandbox/examples.js';
import { WorkflowClient } from '../../src/kube/workflow-client.js';
import { WorkflowSignals } from '../../src/signals/workflows.js';
import { KubeError } from '../../src/kube/errors.js';
import type { NewWorkflow } from '../../src/api/workflow.js';
import { startConsole, type RunningConsole } from '../../src/console/server.js';
import { startEventSink, type RunningEventSink } from '../../src/events/sink/index.js';
import { createEventSinkClient, listEvents } from '../../src/events/client.js';
import { pino } from 'pino';
import { openBlobStore } from '../../src/storage/open.js';
import type { BlobStore } from '../../src/storage/blob-store.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(ROOT, '.flotilla/screenshots/console');
const VIEWER_TOKEN = 'viewer-token-for-the-console-test';
const CONSOLE_TOKEN = 'console-token-for-the-console-test';

let env: ControllerEnv;
let replica: ControllerProcessHandle;
let consoleServer: RunningConsole;
let browser: Browser;
let client: WorkflowClient;
let sink: RunningEventSink;
let blobDir: string;
let blobStore: BlobStore;

function workflow(name: string, spec: NewWorkflow['spec']): NewWorkflow {
  return { apiVersion: 'flotilla.io/v1alpha1', kind: 'Workflow', metadata: { name, namespace: 'default' }, spec };
}

async function openPage(path: string, token?: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${consoleServer.url.replace(/\/$/, '')}${path}${token ? `#token=${token}` : ''}`);
  // A marker that a reload would lose: the page must change in place.
  await page.evaluate(() => ((globalThis as unknown as { consoleMarker: string }).consoleMarker = 'same-page'));
  return page;
}

async function stillSamePage(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { consoleMarker?: string }).consoleMarker === 'same-page');
}

async function phaseOf(page: Page, nodeId: string): Promise<string | null> {
  return page.locator(`[data-node-id="${nodeId}"]`).first().getAttribute('data-phase', { timeout: 5_000 });
}

describe('flotilla console in a real browser', { timeout: 170_000 }, () => {
  before(async () => {
    env = await startControllerEnv({ users: [{ token: VIEWER_TOKEN, name: 'viewer' }] });
    await ensureNamespace(env.api.kc, 'flotilla-system');
    const rbac = env.api.kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({
      body: {
        metadata: { name: 'workflow-viewer' },
        rules: [{ apiGroups: ['flotilla.io'], resources: ['workflows'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'default',
      body: {
        metadata: { name: 'viewer-reads-workflows' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'workflow-viewer' },
        subjects: [{ kind: 'User', name: 'viewer', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    sink = await startEventSink({ store: { kind: 'memory' }, logger: pino({ level: 'silent' }) });
    // The replica offloads large outputs here; the console reads them from the same store.
    blobDir = mkdtempSync(join(tmpdir(), 'flotilla-console-blobs-'));
    blobStore = await openBlobStore(`file://${blobDir}`);
    [replica, consoleServer, browser] = await Promise.all([
      spawnController({
        id: 'replica-1',
        kubeconfig: env.api.kubeconfigPath,
        redisUrl: env.redis.url,
        shards: '',
        args: ['--manager', '--shard-count', '4', '--event-sink', sink.address, '--blob-store', `file://${blobDir}`],
        readyTimeoutMs: 60_000,
      }),
      startConsole({
        kubeConfig: env.api.kc,
        listen: '127.0.0.1:0',
        token: CONSOLE_TOKEN,
        eventSink: { address: sink.address },
        blobStore,
      }),
      launchChromium(),
    ]);
    client = new WorkflowClient(env.api.kc);
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await consoleServer?.stop();
    await replica?.stop();
    await sink?.stop();
    await blobStore?.close();
    if (blobDir) rmSync(blobDir, { recursive: true, force: true });
    await env?.stop();
  });

  test('the fleet page shows the replica holding every shard', async () => {
    const page = await openPage('/');
    await waitFor(async () => (await page.locator('.shard[data-owner="replica-1"]').count()) === 4, {
      what: 'four shards owned by replica-1 on the fleet page',
      timeoutMs: 40_000,
    });
    assert.match(await page.locator('tr[data-replica="replica-1"]').innerText(), /live/);
    assert.ok(await stillSamePage(page), 'the fleet page updated in place');
    await page.close();
  });

  test("the sandbox's examples appear in /workflows, filtered by phase and paged", async () => {
    const examples = loadExamples(join(ROOT, 'examples'));
    for (const example of examples) await submitWorkflow(client, example.workflow);
    const page = await openPage('/workflows');
    for (const example of examples) {
      await page.locator(`tr[data-workflow="default/${example.workflow.metadata.name}"]`).waitFor({ timeout: 20_000 });
    }
    // `hello` finishes on its own: the list follows its phase live, and the phase filter finds it.
    await page.locator('tr[data-workflow="default/hello"][data-phase="Succeeded"]').waitFor({ timeout: 30_000 });
    await page.selectOption('select[name="phase"]', 'Succeeded');
    await waitFor(
      async () => {
        const phases = await page
          .locator('tr[data-workflow]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-phase')));
        return phases.length > 0 && phases.every((p) => p === 'Succeeded');
      },
      { what: 'only Succeeded rows after filtering', timeoutMs: 10_000 },
    );
    assert.match(page.url(), /phase=Succeeded/);
    await page.selectOption('select[name="phase"]', '');
    await page
      .locator(`tr[data-workflow]`)
      .nth(examples.length - 1)
      .waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, 'workflows.png') });
    await page.close();
  });

  test('a graph turns its nodes Succeeded live, without a reload', async () => {
    await client.create(
      workflow('live-graph', {
        tasks: { step: { plugin: 'echo' }, nap: { plugin: 'sleep', config: { duration: '1s' } } },
        nodes: [
          { id: 'hold', kind: 'gate', gate: { signal: { name: 'go', type: 'boolean' } } },
          { id: 'work', kind: 'task', task: 'nap', dependsOn: ['hold'] },
          { id: 'finish', kind: 'task', task: 'step', dependsOn: ['work'], inputs: { done: { value: true } } },
        ],
      }),
    );
    const page = await openPage('/workflows/default/live-graph');
    await waitFor(async () => (await phaseOf(page, 'hold')) === 'Running', {
      what: 'the gate waiting (Running) in the graph',
      timeoutMs: 30_000,
    });
    assert.equal(await phaseOf(page, 'work'), 'Pending');
    assert.equal(await phaseOf(page, 'finish'), 'Pending');
    // The sink's events are listed: the gate's node entered Running (the publisher sends them in batches).
    await page
      .locator('.sink-events tr[data-event-scope="node"][data-event-node="hold"][data-event-phase="Running"]')
      .waitFor({ timeout: 15_000 });
    // The signal comes from outside the page (as `flotilla signal` sends it): the page only follows.
    await new WorkflowSignals(env.api.kc).set('default', 'live-graph', 'go', { value: true }, 'test');
    for (const node of ['hold', 'work', 'finish']) {
      await page.locator(`[data-node-id="${node}"][data-phase="Succeeded"]`).waitFor({ timeout: 30_000 });
    }
    await page.locator('section.workflow[data-phase="Succeeded"]').waitFor({ timeout: 10_000 });
    // The list follows the workflow: its later events (the last node's, the workflow's own) appear in place.
    await page
      .locator('.sink-events tr[data-event-scope="node"][data-event-node="finish"][data-event-phase="Succeeded"]')
      .waitFor({ timeout: 15_000 });
    await page
      .locator('.sink-events tr[data-event-scope="workflow"][data-event-phase="Succeeded"]')
      .waitFor({ timeout: 15_000 });
    // Every stored event of the workflow is a row, and only those.
    const sinkClient = createEventSinkClient(sink.address);
    try {
      const stored = await listEvents(sinkClient, { namespace: 'default', name: 'live-graph', pageSize: 500 });
      await waitFor(async () => (await page.locator('.sink-events tbody tr').count()) === stored.events.length, {
        what: `${stored.events.length} rows in the execution events list`,
        timeoutMs: 10_000,
      });
    } finally {
      sinkClient.close();
    }
    assert.ok(await stillSamePage(page), 'the phases and events changed without a reload');
    await page.close();
  });

  test('a gate is approved from the page and the workflow finishes', async () => {
    await client.create(
      workflow('release', {
        tasks: { step: { plugin: 'echo' } },
        nodes: [
          { id: 'build', kind: 'task', task: 'step', inputs: { artifact: { value: 'v1' } } },
          {
            id: 'sign-off',
            kind: 'gate',
            dependsOn: ['build'],
            gate: { approve: { name: 'ship', message: 'Ship v1?' } },
          },
          { id: 'deploy', kind: 'task', task: 'step', dependsOn: ['sign-off'], inputs: { artifact: { value: 'v1' } } },
        ],
      }),
    );
    const page = await openPage('/workflows/default/release', CONSOLE_TOKEN);
    await page.locator('[data-node-id="sign-off"][data-phase="Running"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-node-id="sign-off"]').click();
    await page.locator('aside.panel button.approve').click();
    await page.locator('.action-result[data-ok="true"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-node-id="deploy"][data-phase="Succeeded"]').waitFor({ timeout: 30_000 });
    await page.locator('section.workflow[data-phase="Succeeded"]').waitFor({ timeout: 10_000 });
    const stored = await client.get('default', 'release');
    assert.equal(stored.status?.phase, 'Succeeded');
    assert.equal(stored.status?.nodes?.['sign-off']?.signal?.setBy, 'flotilla-console');
    await page.locator('[data-node-id="build"]').click();
    await page.locator('aside.panel[data-panel-node="build"] dd').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'workflow-approved.png') });
    await page.close();
  });

  test("an abort without the rights is refused with the API server's message; the workflow stays", async () => {
    await client.create(
      workflow('guarded', {
        tasks: { step: { plugin: 'echo' } },
        nodes: [{ id: 'wait', kind: 'gate', gate: { approve: { message: 'never' } } }],
      }),
    );
    const page = await openPage('/workflows/default/guarded', VIEWER_TOKEN);
    await page.locator('[data-node-id="wait"]').waitFor({ timeout: 20_000 });
    await page.locator('button.abort').click();
    await page.locator('button.confirm-abort').click();
    const refusal = page.locator('.action-result[data-ok="false"]');
    await refusal.waitFor({ timeout: 10_000 });
    assert.equal(await refusal.getAttribute('data-status'), '403');
    assert.match(
      await refusal.innerText(),
      /workflows\.flotilla\.io "guarded" is forbidden: User "viewer" cannot delete resource "workflows" in API group "flotilla\.io" in the namespace "default"/,
    );
    // The viewer may not send the gate's signal either.
    await page.locator('[data-node-id="wait"]').click();
    await page.locator('aside.panel button.approve').click();
    await waitFor(async () => /cannot patch resource "workflows"/.test(await refusal.innerText()), {
      what: 'the refused approval',
      timeoutMs: 10_000,
    });
    assert.ok(await client.get('default', 'guarded'), 'the workflow is still there');
    // Without any token the console refuses before asking the API server.
    await page.evaluate(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear());
    await page.locator('button.abort').click();
    await page.locator('button.confirm-abort').click();
    await waitFor(async () => (await refusal.getAttribute('data-status')) === '401', {
      what: 'the refusal of an abort without a token',
      timeoutMs: 10_000,
    });
    assert.match(await refusal.innerText(), /actions need a token/);
    await page.close();

    // From another site (no custom header, a foreign Origin) the console refuses even with a token.
    const foreign = await fetch(`${consoleServer.url}api/workflows/default/guarded/abort`, {
      method: 'POST',
      headers: {
        origin: 'http://evil.example',
        authorization: `Bearer ${CONSOLE_TOKEN}`,
        'content-type': 'text/plain',
      },
      body: '{}',
    });
    assert.equal(foreign.status, 403);
    assert.match(((await foreign.json()) as { message: string }).message, /cross-site request refused/);
    const forged = await fetch(`${consoleServer.url}api/workflows/default/guarded/abort`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'x-flotilla-console': '1', authorization: `Bearer ${CONSOLE_TOKEN}` },
      body: '{}',
    });
    assert.equal(forged.status, 403);
    assert.ok(await client.get('default', 'guarded'), 'still there after the cross-site attempts');

    // With the console token (the kubeconfig's identity) the same abort goes through.
    const page2 = await openPage('/workflows/default/guarded', CONSOLE_TOKEN);
    await page2.locator('button.abort').click();
    await page2.locator('button.confirm-abort').click();
    await page2.locator('.action-result[data-ok="true"]').waitFor({ timeout: 10_000 });
    await waitFor(
      async () => {
        try {
          await client.get('default', 'guarded');
          return false;
        } catch (error) {
          return error instanceof KubeError && error.code === 'NotFound';
        }
      },
      { what: 'the aborted workflow gone', timeoutMs: 30_000 },
    );
    await page2.locator('[data-gone="true"]').waitFor({ timeout: 10_000 });
    await page2.close();
  });

  test("a node's outputs offloaded to the blob store are read when its panel opens", async () => {
    const text = 'offloaded '.repeat(2_000); // 20 kB: over the engine's inline limit (16 kB)
    await client.create(
      workflow('big-outputs', {
        tasks: { step: { plugin: 'echo' } },
        nodes: [{ id: 'shout', kind: 'task', task: 'step', inputs: { text: { value: text } } }],
      }),
    );
    const page = await openPage('/workflows/default/big-outputs');
    await page.locator('section.workflow[data-phase="Succeeded"]').waitFor({ timeout: 30_000 });
    const status = (await client.get('default', 'big-outputs')).status?.nodes?.['shout'];
    assert.ok(status?.outputRef, 'the replica offloaded the outputs');
    assert.equal(status.outputs, undefined);
    await page.locator('[data-node-id="shout"]').click();
    const shown = page.locator(`.offloaded-outputs[data-output-ref="${status.outputRef}"]`);
    await shown.waitFor({ timeout: 10_000 });
    assert.deepEqual(JSON.parse(await shown.innerText()), { text });
    await page.close();
  });

  test('sub-workflows are nested boxes of the graph, with their own edges', async () => {
    const page = await openPage('/workflows/default/sub-workflows');
    await page.locator('[data-node-id="report/announce/send"][data-phase="Succeeded"]').waitFor({ timeout: 30_000 });
    // Nested: the sub-workflow's nodes are inside their workflow node's element.
    assert.equal(
      await page
        .locator('[data-node-id="report"] [data-node-id="report/announce"] [data-node-id="report/announce/send"]')
        .count(),
      1,
    );
    assert.equal(await page.locator('polyline[data-edge="prepare->report"]').count(), 1);
    assert.equal(await page.locator('polyline[data-edge="report/upload->report/announce"]').count(), 1);
    await page.locator('[data-node-id="report/upload"]').click();
    await page.locator('aside.panel[data-panel-node="report/upload"]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'workflow.png') });
    await page.close();
  });

  test("the fleet page counts every workflow by phase on its shard, and each shard's queue", async () => {
    const page = await openPage('/');
    let seen = '';
    await waitFor(
      async () => {
        const onPage = await page
          .locator('.shard .phase-count')
          .evaluateAll((spans) => spans.reduce((sum, span) => sum + Number(span.getAttribute('data-count')), 0));
        const queues = await page
          .locator('.shard')
          .evaluateAll((cards) => cards.every((card) => /^\d+$/.test(card.getAttribute('data-queue') ?? '')));
        const inCluster = (await client.list()).items.length;
        seen = `${onPage} on the page, ${inCluster} in the cluster, queues ${queues ? '' : 'not '}reported`;
        return queues && onPage === inCluster;
      },
      { what: 'phase counts summing to the workflows in the cluster, and queue depths reported', timeoutMs: 40_000 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)} (last seen: ${seen})`);
    });
    // Rounds/s, derived from two renewals of the member lease's published rounds counter.
    await waitFor(
      async () =>
        /^\d+(\.\d+)?$/.test(
          (await page.locator('tr[data-replica="replica-1"]').getAttribute('data-rounds-per-second')) ?? '',
        ),
      { what: "replica-1's rounds/s on the fleet page", timeoutMs: 20_000 },
    );
    await page.screenshot({ path: join(SHOTS, 'fleet.png') });
    await page.close();
  });

  test('pages never render the tokens', async () => {
    const page = await openPage('/workflows/default/release', CONSOLE_TOKEN);
    await page.locator('[data-node-id="deploy"]').waitFor({ timeout: 10_000 });
    const html = await page.content();
    assert.ok(!html.includes(CONSOLE_TOKEN), 'the console token is not in the page');
    assert.ok(!html.includes(env.api.server.token), "the API server's token is not in the page");
    assert.ok(!page.url().includes('token='), 'the token fragment was removed from the address bar');
    await page.close();
  });
});
