/**
 * A namespace deleted with running workflows in it: its Workflows are aborted (the replicas see
 * the deletion, stop their tasks and release the abort finalizer), the namespace and everything in
 * it goes, and the workflows of other namespaces run on unharmed (every invariant over them).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api } from '@kubernetes/client-node';
import { runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

const DOOMED = 'doomed';

describe('faults: a namespace deleted', { concurrency: 1 }, () => {
  test(
    'a namespace deleted under running workflows goes entirely; the others finish',
    { timeout: 180_000 },
    async () => {
      let goneAfterMs = -1;
      const report = await runScenario({ scenario: 'namespace-deleted', replicas: 2 }, async (fleet) => {
        const core = fleet.kubeConfig.makeApiClient(CoreV1Api);
        await core.createNamespace({ body: { metadata: { name: DOOMED } } });
        const elsewhere = fleet.submitExamples({ count: 30, ratePerSecond: 4 });
        await fleet.submitExamples({ count: 20, ratePerSecond: 10, namespace: DOOMED, prefix: 'doomed' });
        await sleep(2_000);
        const running = (await fleet.client.list({ namespace: DOOMED })).items.filter(
          (w) => w.status?.phase === 'Running',
        ).length;
        const forgotten = fleet.forgetNamespace(DOOMED);
        fleet.inject(`delete namespace ${DOOMED} (${forgotten.length} workflows, ${running} running)`);
        const deleted = Date.now();
        await core.deleteNamespace({ name: DOOMED });
        const deadline = Date.now() + 60_000;
        for (;;) {
          const exists = await core.readNamespace({ name: DOOMED }).then(
            () => true,
            () => false,
          );
          if (!exists) break;
          if (Date.now() > deadline) {
            const left = (await fleet.client.list({ namespace: DOOMED })).items.map(
              (w) =>
                `${w.metadata.name} (${w.status?.phase ?? 'no status'}, finalizers ${JSON.stringify(w.metadata.finalizers ?? [])})`,
            );
            throw new Error(`namespace ${DOOMED} still there after 60 s; workflows left: ${left.join(', ')}`);
          }
          await sleep(250);
        }
        goneAfterMs = Date.now() - deleted;
        fleet.inject(`namespace ${DOOMED} gone ${goneAfterMs} ms after its deletion`);
        await elsewhere;
        const pods = (await core.listNamespacedPod({ namespace: DOOMED })).items.length;
        assert.equal(pods, 0, `pods left in ${DOOMED}`);
        return [`${DOOMED} (${forgotten.length} workflows, ${running} running at deletion) gone in ${goneAfterMs} ms`];
      });
      assert.ok(scenarioOk(report), renderScenarioReport(report));
      assert.ok(goneAfterMs >= 0);
    },
  );
});
