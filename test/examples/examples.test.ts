/**
 * Every example runs to its expected phase (annotation `flotilla.io/expected-phase`), with its
 * expected outputs (`flotilla.io/expected-outputs`) and node phases
 * (`flotilla.io/expected-node-phases`), given the signals in `flotilla.io/example-signals`.
 *
 * Each runs through `flotilla run` as a real process (exit 0 for Succeeded, 1 otherwise); its
 * `-o json` output is the final status.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { JsonValue } from '../../src/api/schema.js';
import type { Workflow } from '../../src/api/workflow.js';
import { validateWorkflow } from '../../src/api/validation/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = `${root}examples/`;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function annotationJson(w: Workflow, key: string): Record<string, JsonValue> | undefined {
  const text = w.metadata.annotations?.[key];
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, JsonValue>);
}

describe('examples run to their expected phase with flotilla run', () => {
  test('every example says what it should end in', () => {
    assert.ok(files.length >= 10);
    for (const file of files) {
      const w = parse(readFileSync(`${dir}${file}`, 'utf8')) as Workflow;
      assert.ok(w.metadata.annotations?.['flotilla.io/expected-phase'], `${file} has no flotilla.io/expected-phase`);
    }
  });

  for (const file of files) {
    test(file, async () => {
      const doc = parse(readFileSync(`${dir}${file}`, 'utf8')) as Workflow;
      const valid = validateWorkflow(doc);
      assert.equal(valid.ok, true, JSON.stringify(valid.ok ? [] : valid.issues));
      const signals = annotationJson(doc, 'flotilla.io/example-signals') ?? {};
      const expectedPhase = doc.metadata.annotations?.['flotilla.io/expected-phase'];
      const expectedOutputs = annotationJson(doc, 'flotilla.io/expected-outputs');
      const expectedNodes = annotationJson(doc, 'flotilla.io/expected-node-phases');
      const args = [`${root}bin/flotilla.mjs`, 'run', `${dir}${file}`, '-o', 'json'];
      for (const [name, value] of Object.entries(signals)) args.push('--signal', `${name}=${JSON.stringify(value)}`);
      const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 50_000 });
      assert.equal(run.status, expectedPhase === 'Succeeded' ? 0 : 1, run.stderr);
      const status = JSON.parse(run.stdout) as Workflow['status']; // the final status
      assert.equal(status?.phase, expectedPhase, status?.message);
      if (expectedOutputs !== undefined) assert.deepEqual(status?.outputs, expectedOutputs);
      for (const [node, phase] of Object.entries(expectedNodes ?? {}))
        assert.equal(status?.nodes?.[node]?.phase, phase, `node ${node}`);
    });
  }
});
