/**
 * Kubernetes API requests counted as client-go does (`rest_client_*`), through the pooled
 * KubeConfig every replica uses, against the real embedded API server over HTTPS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Metrics } from '../../src/observability/metrics.js';
import { PooledKubeConfig } from '../../src/kube/keepalive.js';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { freePort } from '../support/ports.js';

function sample(text: string, prefix: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('rest_client_* metrics', () => {
  let api: TestApiServer;
  before(async () => {
    api = await startTestApiServer();
  });
  after(async () => {
    await api?.stop();
  });

  test('counts requests by method, host and status code, and times them by verb', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const kc = new PooledKubeConfig(api.kc, 4, { requests: metrics.kubeClient });
    const core = kc.makeApiClient(CoreV1Api);
    try {
      await core.listNamespacedPod({ namespace: 'default' });
      await core.listNamespacedPod({ namespace: 'default' });
      await assert.rejects(core.readNamespacedPod({ namespace: 'default', name: 'absent' }));
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'counted' } } });
    } finally {
      kc.close();
    }
    const host = new URL(api.server.url).host;
    const text = await metrics.text();
    assert.equal(sample(text, `rest_client_requests_total{code="200",method="GET",host="${host}"}`), 2);
    assert.equal(sample(text, `rest_client_requests_total{code="404",method="GET",host="${host}"}`), 1);
    assert.equal(sample(text, `rest_client_requests_total{code="201",method="POST",host="${host}"}`), 1);
    assert.equal(sample(text, `rest_client_request_duration_seconds_count{verb="GET",host="${host}"}`), 3);
    assert.equal(sample(text, `rest_client_request_duration_seconds_count{verb="POST",host="${host}"}`), 1);
  });

  test('a request that gets no answer is counted with code <error>', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const port = await freePort();
    const source = new KubeConfig();
    source.loadFromOptions({
      clusters: [{ name: 'gone', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'c', cluster: 'gone', user: 'u' }],
      currentContext: 'c',
    });
    const kc = new PooledKubeConfig(source, 2, { requests: metrics.kubeClient });
    try {
      await assert.rejects(kc.makeApiClient(CoreV1Api).listNamespace());
    } finally {
      kc.close();
    }
    const text = await metrics.text();
    assert.equal(sample(text, `rest_client_requests_total{code="<error>",method="GET",host="127.0.0.1:${port}"}`), 1);
  });
});
