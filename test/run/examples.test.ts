import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import type { JsonValue } from '../../src/api/schema.js';
import { validateWorkflow } from '../../src/api/validation/index.js';
import { runLocal } from '../../src/engine/local-runner.js';
import { localPlugins } from '../../src/plugins/local.js';

const dir = resolve(import.meta.dirname, '../../examples');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('every example runs in-process to its expected phase and outputs', () => {
  test('there are examples', () => assert.ok(files.length >= 10));
  for (const file of files) {
    test(file, async () => {
      const doc = YAML.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
      const validation = validateWorkflow(doc);
      assert.ok(validation.ok, JSON.stringify(!validation.ok && validation.issues));
      const wf = validation.workflow;
      const annotations = wf.metadata.annotations ?? {};
      const signals = JSON.parse(annotations['flotilla.io/example-signals'] ?? '{}') as Record<string, JsonValue>;
      const result = await runLocal({
        workflow: { ...wf, metadata: { ...wf.metadata, namespace: 'default', uid: `uid-${file}` } },
        signals,
        startAt: 0,
        plugins: localPlugins,
      });
      assert.equal(result.stalled, undefined);
      assert.equal(
        result.workflow.status?.phase,
        annotations['flotilla.io/expected-phase'] ?? 'Succeeded',
        result.workflow.status?.message,
      );
      const outputs = annotations['flotilla.io/expected-outputs'];
      if (outputs !== undefined) assert.deepEqual(result.workflow.status?.outputs, JSON.parse(outputs));
    });
  }
});
