/**
 * The lean client of the hot calls (src/kube/rest.ts) against the real embedded API server over
 * HTTPS: the answers and errors a round relies on are the ones client-node gave (typed by
 * `toKubeError` from the server's Status), requests are counted like client-node's, a
 * `PooledKubeConfig`'s generated clients and lean client share one keep-alive connection, every
 * answer teaches the server clock (a 404's too), and a server that is not there is named by address.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { KubeError, toKubeError } from '../../src/kube/errors.js';
import { PooledKubeConfig } from '../../src/kube/keepalive.js';
import { KubeRest } from '../../src/kube/rest.js';
import { ServerClock } from '../../src/kube/server-clock.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from '../../src/kube/workflow-client.js';
import type { Workflow } from '../../src/api/workflow.js';
import { freePort } from '../support/ports.js';
import { createWorkflow, startEnv, type TestEnv } from './support/env.js';

const path = (name: string) =>
  `/apis/${WORKFLOW_GROUP}/${WORKFLOW_VERSION}/namespaces/default/${WORKFLOW_PLURAL}/${name}`;

describe('lean Kubernetes client (embedded API server)', () => {
  let env: TestEnv;

  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env.stop();
  });

  test('reads, writes status with the resourceVersion guard, merge-patches; errors typed from the Status', async () => {
    const rest = new KubeRest(env.kubeConfig);
    try {
      await createWorkflow(env, 'default', 'lean', { 'flotilla.io/shard': '1' });
      const read = await rest.send<Workflow>({ method: 'GET', path: path('lean') });
      assert.equal(read.metadata.name, 'lean');
      const written = await rest.send<Workflow>({
        method: 'PUT',
        path: `${path('lean')}/status`,
        body: { ...read, status: { phase: 'Running', nodes: {} } },
      });
      assert.equal(written.status?.phase, 'Running');
      assert.notEqual(written.metadata.resourceVersion, read.metadata.resourceVersion);
      // The same precondition again: the server refuses it, and the error is client-node's, so
      // toKubeError types it as before.
      const stale = await rest
        .send({ method: 'PUT', path: `${path('lean')}/status`, body: { ...read, status: { phase: 'Failed' } } })
        .then(
          () => undefined,
          (error: unknown) => toKubeError(error, 'replace status'),
        );
      assert.ok(stale instanceof KubeError);
      assert.equal(stale.code, 'Conflict');
      assert.equal(stale.status, 409);
      const patched = await rest.send<Workflow>({
        method: 'PATCH',
        path: path('lean'),
        body: { metadata: { labels: { lean: 'yes' }, resourceVersion: written.metadata.resourceVersion } },
        contentType: 'application/merge-patch+json',
      });
      assert.equal(patched.metadata.labels?.lean, 'yes');
      assert.equal(patched.status?.phase, 'Running');
      // An answer the caller does not read: the write is done, nothing is parsed, errors stay typed.
      const discarded = await rest.send({
        method: 'PATCH',
        path: path('lean'),
        body: { metadata: { labels: { discarded: 'yes' } } },
        contentType: 'application/merge-patch+json',
        discardAnswer: true,
      });
      assert.equal(discarded, undefined);
      const reread = await rest.send<Workflow>({ method: 'GET', path: path('lean') });
      assert.equal(reread.metadata.labels?.discarded, 'yes');
      const refused = await rest.send({ method: 'GET', path: path('absent'), discardAnswer: true }).then(
        () => undefined,
        (error: unknown) => toKubeError(error, 'get'),
      );
      assert.equal(refused?.code, 'NotFound');
      const missing = await rest.send({ method: 'GET', path: path('absent') }).then(
        () => undefined,
        (error: unknown) => toKubeError(error, 'get'),
      );
      assert.equal(missing?.code, 'NotFound');
      assert.match(missing?.message ?? '', /HTTP 404 NotFound: .*absent/);
    } finally {
      rest.close();
    }
  });

  test('a PooledKubeConfig counts every request and shares one connection with client-node calls', async () => {
    const counted: string[] = [];
    const kc = new PooledKubeConfig(env.kubeConfig, 4, {
      requests: { request: (method, _host, code) => counted.push(`${method} ${code ?? 'none'}`) },
    });
    try {
      await createWorkflow(env, 'default', 'shared', { 'flotilla.io/shard': '1' });
      const custom = kc.makeApiClient(CustomObjectsApi);
      const connectionsBefore = env.server.faults.traffic.stats().connections;
      for (let i = 0; i < 3; i++) {
        await kc.rest.send({ method: 'GET', path: path('shared') });
        await custom.getNamespacedCustomObject({
          group: WORKFLOW_GROUP,
          version: WORKFLOW_VERSION,
          plural: WORKFLOW_PLURAL,
          namespace: 'default',
          name: 'shared',
        });
      }
      assert.equal(env.server.faults.traffic.stats().connections - connectionsBefore, 1);
      assert.deepEqual(
        counted,
        Array.from({ length: 6 }, () => 'GET 200'),
      );
      // Closing drops the pooled connections; a late request (an Event of a stopping replica) still goes out.
      kc.close();
      await kc.rest.send({ method: 'GET', path: path('shared') });
      assert.equal(env.server.faults.traffic.stats().connections - connectionsBefore, 2);
    } finally {
      kc.close();
    }
  });

  test("every answer's Date header teaches the server clock (a local clock 300 s behind)", async () => {
    const clock = new ServerClock({ localNow: () => Date.now() - 300_000 });
    const rest = new KubeRest(env.kubeConfig, { serverClock: clock });
    try {
      assert.equal(clock.uncertaintyMs(), Infinity);
      await rest.send({ method: 'GET', path: path('absent') }).catch(() => undefined);
      assert.ok(clock.uncertaintyMs() <= 1_500, `uncertainty ${clock.uncertaintyMs()} ms`);
      assert.ok(Math.abs(clock.offsetMs() - 300_000) <= 1_500, `offset ${clock.offsetMs()} ms`);
    } finally {
      rest.close();
    }
  });

  test('no server: a transport error naming host:port, counted without a code', async () => {
    const port = await freePort();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'c', server: `https://127.0.0.1:${port}`, caData: env.kubeConfig.getCurrentCluster()?.caData },
      ],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const counted: Array<number | undefined> = [];
    const rest = new KubeRest(kc, { requests: { request: (_m, _h, code) => counted.push(code) } });
    try {
      const error = await rest.send({ method: 'GET', path: path('any') }).then(
        () => undefined,
        (e: unknown) => toKubeError(e, 'get workflow'),
      );
      assert.equal(error?.code, 'Unavailable');
      assert.match(
        error?.message ?? '',
        new RegExp(`connection refused \\(ECONNREFUSED\\) talking to the API server at 127\\.0\\.0\\.1:${port}`),
      );
      assert.deepEqual(counted, [undefined]);
    } finally {
      rest.close();
    }
  });
});
