/**
 * What the translation hands the platform: executionConfig.MaxParallelism as the engine's
 * maxParallelism (0 = unbounded, as Flyte), interruptible from the execution, task metadata or
 * node (the engine drops it for the last attempts), and the task template's podTemplateName and
 * securityContext.secrets as the pod plugin reads them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlyteWorkflow } from '../../src/flyte/index.js';
import { isContainerConfig } from '../../src/flyte/translate/contract.js';
import { translateFlyteWorkflow } from '../../src/flyte/translate/index.js';
import { taskPodRequests } from '../../src/plugins/flyte/pod-build.js';
import { fixture, type Obj } from './fixtures.js';

const translate = (edit: (doc: Obj) => void) => {
  const doc = fixture('a-container-chain.yaml');
  edit(doc);
  return translateFlyteWorkflow(parseFlyteWorkflow(doc), { dataDir: 'file:///tmp/d', rawOutputRoot: 'file:///tmp/r' });
};

describe('translation: platform settings', () => {
  test('MaxParallelism becomes spec.maxParallelism; 0 or absent is unbounded', () => {
    const bounded = translate((doc) => {
      doc['executionConfig'] = { ...(doc['executionConfig'] as Obj), MaxParallelism: 3 };
    });
    assert.equal(bounded.spec.maxParallelism, 3);
    const unbounded = translate((doc) => {
      doc['executionConfig'] = { ...(doc['executionConfig'] as Obj), MaxParallelism: 0 };
    });
    assert.equal(unbounded.spec.maxParallelism, undefined);
  });

  test("a task template's podTemplateName and secrets reach the pod plugin; a bad mount requirement is BadTemplate", () => {
    const wf = translate((doc) => {
      const tasks = doc['tasks'] as Record<string, Obj>;
      for (const task of Object.values(tasks)) {
        task['metadata'] = { ...(task['metadata'] as Obj), podTemplateName: 'flyte-gpu' };
        task['securityContext'] = {
          secrets: [
            { group: 'db', key: 'password', mountRequirement: 'ENV_VAR', envVar: 'DB' },
            { group: 'tls', key: 'ca.crt', mountRequirement: 2 },
          ],
        };
      }
    });
    const config = Object.values(wf.spec.tasks)
      .map((t) => t.config)
      .find((c) => isContainerConfig(c));
    assert.ok(config && isContainerConfig(config));
    assert.deepEqual(taskPodRequests(config.template), {
      templateName: 'flyte-gpu',
      secrets: [
        { group: 'db', key: 'password', mountRequirement: 'ENV_VAR', envVar: 'DB' },
        { group: 'tls', key: 'ca.crt', mountRequirement: 'FILE' },
      ],
    });
    assert.throws(
      () => taskPodRequests({ securityContext: { secrets: [{ group: 'db', key: 'k', mountRequirement: 7 }] } }),
      /securityContext.secrets\[0\]: secret db\/k has mountRequirement 7/,
    );
    assert.deepEqual(taskPodRequests({}), { secrets: [] });
  });
});
