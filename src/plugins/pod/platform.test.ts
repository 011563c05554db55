import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod, V1PodTemplate } from '@kubernetes/client-node';
import { INJECT_SECRETS_LABEL, SECRETS_ANNOTATION, parseSecretsAnnotation } from '../../api/secrets.js';
import { applyPodPlatform, type PodTemplateLookup } from './platform.js';
import { mergePodTemplate } from './template-merge.js';

const taskPod = (): V1Pod => ({
  metadata: { name: 'wf-n-1', namespace: 'team', labels: { app: 'task', shared: 'task' } },
  spec: {
    restartPolicy: 'Never',
    containers: [
      {
        name: 'task',
        image: 'task:1',
        args: ['run'],
        env: [
          { name: 'A', value: 'task' },
          { name: 'C', value: 'task' },
        ],
        resources: { limits: { cpu: '2' } },
      },
      { name: 'sidecar', image: 'side:1' },
    ],
    tolerations: [{ key: 'task', operator: 'Exists' }],
  },
});

const template = (name: string): V1PodTemplate => ({
  metadata: { name, namespace: 'team' },
  template: {
    metadata: { labels: { shared: 'template', team: 'x' }, annotations: { 'cost-center': '7' } },
    spec: {
      containers: [
        {
          name: 'default',
          image: 'template:1',
          args: ['ignored'],
          env: [
            { name: 'A', value: 'template' },
            { name: 'B', value: 'template' },
          ],
          resources: { limits: { cpu: '1', memory: '1Gi' } },
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
        },
        { name: 'primary', env: [{ name: 'P', value: 'primary-only' }] },
        { name: 'sidecar', env: [{ name: 'S', value: 'sidecar-only' }] },
        { name: 'unmatched', image: 'never:1' },
      ],
      volumes: [{ name: 'scratch', emptyDir: {} }],
      tolerations: [{ key: 'template', operator: 'Exists' }],
      nodeSelector: { pool: 'general' },
      priorityClassName: 'batch',
    },
  },
});

describe('mergePodTemplate (Flyte rules)', () => {
  test('the task container wins over default and primary; lists merge by name; metadata under the task', () => {
    const merged = mergePodTemplate(template('t'), taskPod(), 'task');
    const [task, sidecar] = merged.spec?.containers ?? [];
    assert.equal(merged.spec?.containers.length, 2, 'template containers matching no task container are dropped');
    assert.equal(task?.image, 'task:1');
    assert.deepEqual(task?.args, ['run']);
    assert.deepEqual(task?.env, [
      { name: 'A', value: 'task' },
      { name: 'B', value: 'template' },
      { name: 'P', value: 'primary-only' },
      { name: 'C', value: 'task' },
    ]);
    assert.deepEqual(task?.resources, { limits: { cpu: '2', memory: '1Gi' } });
    assert.deepEqual(task?.volumeMounts, [{ name: 'scratch', mountPath: '/scratch' }]);
    assert.equal(sidecar?.image, 'side:1');
    assert.deepEqual(
      sidecar?.env?.map((e) => e.name),
      ['A', 'B', 'S'],
      'default and same-name templates lie under a sidecar, primary does not',
    );
    assert.deepEqual(merged.spec?.volumes, [{ name: 'scratch', emptyDir: {} }]);
    assert.deepEqual(merged.spec?.tolerations, [
      { key: 'template', operator: 'Exists' },
      { key: 'task', operator: 'Exists' },
    ]);
    assert.equal(merged.spec?.priorityClassName, 'batch');
    assert.equal(merged.spec?.restartPolicy, 'Never');
    assert.deepEqual(merged.metadata?.labels, { shared: 'task', team: 'x', app: 'task' });
    assert.equal(merged.metadata?.annotations?.['cost-center'], '7');
    assert.equal(merged.metadata?.name, 'wf-n-1');
  });
});

describe('applyPodPlatform', () => {
  const store = (entries: Record<string, V1PodTemplate>): PodTemplateLookup => ({
    get: (namespace, name) => entries[`${namespace}/${name}`],
  });

  test("the task's template wins over the default; the workflow namespace before the controller's", () => {
    const templates = store({
      'team/own': template('own'),
      'flotilla/base': {
        template: { metadata: { labels: { from: 'controller' } }, spec: { containers: [] } },
      },
      'flotilla/own': { template: { metadata: { labels: { from: 'controller-own' } }, spec: { containers: [] } } },
    });
    const options = { templates, defaultTemplate: 'base', controllerNamespace: 'flotilla' };
    const own = applyPodPlatform(
      taskPod(),
      { templateName: 'own', primaryContainer: 'task', interruptible: false },
      options,
    );
    assert.ok('pod' in own);
    assert.equal(own.pod.metadata?.labels?.['team'], 'x');
    assert.equal(own.pod.metadata?.labels?.['from'], undefined);
    const base = applyPodPlatform(taskPod(), { primaryContainer: 'task', interruptible: false }, options);
    assert.ok('pod' in base);
    assert.equal(base.pod.metadata?.labels?.['from'], 'controller');
    const none = applyPodPlatform(taskPod(), { primaryContainer: 'task', interruptible: false }, { templates });
    assert.deepEqual(none, { pod: { ...taskPod(), metadata: { ...taskPod().metadata, annotations: {} } } });
  });

  test('a named template that exists nowhere is an error naming where it was looked for; a missing default is not', () => {
    const options = { templates: store({}), defaultTemplate: 'base', controllerNamespace: 'flotilla' };
    const missing = applyPodPlatform(
      taskPod(),
      { templateName: 'gpu', primaryContainer: 'task', interruptible: false },
      options,
    );
    assert.deepEqual(missing, { error: "PodTemplate 'gpu' does not exist in namespace team or flotilla" });
    assert.ok('pod' in applyPodPlatform(taskPod(), { primaryContainer: 'task', interruptible: false }, options));
  });

  test('interruptible attempts get the tolerations first and the node selector over the Pod’s; others get neither', () => {
    const interruptible = {
      tolerations: [{ key: 'spot', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
      nodeSelector: { 'node-pool': 'spot' },
    };
    const on = applyPodPlatform(taskPod(), { primaryContainer: 'task', interruptible: true }, { interruptible });
    assert.ok('pod' in on);
    assert.deepEqual(
      on.pod.spec?.tolerations?.map((t) => t.key),
      ['spot', 'task'],
    );
    assert.deepEqual(on.pod.spec?.nodeSelector, { 'node-pool': 'spot' });
    const off = applyPodPlatform(taskPod(), { primaryContainer: 'task', interruptible: false }, { interruptible });
    assert.ok('pod' in off);
    assert.deepEqual(
      off.pod.spec?.tolerations?.map((t) => t.key),
      ['task'],
    );
    assert.equal(off.pod.spec?.nodeSelector, undefined);
  });

  test('secrets become the webhook label and annotation', () => {
    const secrets = [{ group: 'db', key: 'password', mountRequirement: 'ENV_VAR' as const }];
    const out = applyPodPlatform(taskPod(), { primaryContainer: 'task', interruptible: false, secrets }, {});
    assert.ok('pod' in out);
    assert.equal(out.pod.metadata?.labels?.[INJECT_SECRETS_LABEL], 'true');
    assert.deepEqual(parseSecretsAnnotation(out.pod.metadata?.annotations?.[SECRETS_ANNOTATION] ?? ''), secrets);
  });
});
