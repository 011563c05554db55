/**
 * The chart's `pods` block: the default PodTemplate and interruptible settings reach the
 * controller's flags in the form `flotilla controller` parses, and values.schema.json refuses a
 * mistyped setting.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podOptionsOf } from '../../src/cli/pod-flags.js';
import { helm, podSpecs, render, templateArgs } from './helm.js';

const argsOf = async (valuesYaml?: string): Promise<string[]> => {
  const valuesFiles: string[] = [];
  if (valuesYaml !== undefined) {
    const file = join(mkdtempSync(join(tmpdir(), 'chart-pods-')), 'values.yaml');
    writeFileSync(file, valuesYaml);
    valuesFiles.push(file);
  }
  const { manifests } = await render({ valuesFiles });
  const pod = podSpecs(manifests).find((p) => p.name === 'flotilla-controller');
  assert.ok(pod, 'the controller Deployment');
  return pod.spec.containers[0]?.args ?? [];
};

const flag = (args: readonly string[], name: string): string | undefined =>
  args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);

describe('chart pods values', () => {
  test('defaults: no template, no interruptible settings, threshold -1', async () => {
    const args = await argsOf();
    assert.equal(flag(args, '--default-pod-template'), undefined);
    assert.equal(flag(args, '--interruptible-tolerations'), undefined);
    assert.equal(flag(args, '--interruptible-node-selector'), undefined);
    assert.equal(flag(args, '--interruptible-failure-threshold'), '-1');
  });

  test('set: the flags carry the values, and the controller parses them back', async () => {
    const args = await argsOf(`pods:
  defaultPodTemplate: flyte-base
  interruptible:
    tolerations:
      - {key: spot, operator: Equal, value: "true", effect: NoSchedule}
    nodeSelector: {pool: spot, zone: a}
    failureThreshold: 2
`);
    const parsed = podOptionsOf({
      defaultPodTemplate: flag(args, '--default-pod-template'),
      interruptibleTolerations: flag(args, '--interruptible-tolerations'),
      interruptibleNodeSelector: flag(args, '--interruptible-node-selector'),
      interruptibleFailureThreshold: flag(args, '--interruptible-failure-threshold') ?? '',
    });
    assert.deepEqual(parsed, {
      pods: {
        defaultPodTemplate: 'flyte-base',
        interruptible: {
          tolerations: [{ key: 'spot', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
          nodeSelector: { pool: 'spot', zone: 'a' },
        },
      },
      interruptibleFailureThreshold: 2,
    });
  });

  test('the schema refuses an unknown or mistyped setting', async () => {
    const r = await helm(templateArgs({ set: ['pods.interruptible.failureThreshold=last'] }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /failureThreshold/);
    const unknown = await helm(templateArgs({ set: ['pods.defaultTemplate=x'] }));
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /defaultTemplate/);
  });
});
