import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadExamples } from './examples.js';
import { loadShapes, loadWorkflow } from './load.js';
import { hasLongSleep } from './session.js';
import { validateWorkflow } from '../src/api/validation/index.js';

const examples = loadExamples(join(import.meta.dirname, '..', 'examples'));

describe('load', () => {
  test('shapes are the examples that succeed with no signal to send', () => {
    const shapes = loadShapes(examples).map((e) => e.file);
    assert.ok(shapes.length >= 5, shapes.join(','));
    for (const e of examples) {
      const eligible = e.expectedPhase === 'Succeeded' && Object.keys(e.signals).length === 0;
      assert.equal(shapes.includes(e.file), eligible, e.file);
    }
    assert.ok(!shapes.includes('gates.yaml') && !shapes.includes('fail-fast.yaml'));
  });

  test('the n-th workflow: load-<n>, labelled, cycling through the shapes, valid, the source untouched', () => {
    const shapes = loadShapes(examples);
    const w = loadWorkflow(shapes.length + 1, shapes);
    assert.equal(w.metadata.name, `load-${shapes.length + 1}`);
    assert.equal(w.metadata.namespace, 'default');
    assert.equal(w.metadata.labels?.['flotilla.io/sandbox-load'], 'true');
    assert.equal(w.metadata.labels?.['flotilla.io/sandbox-shape'], shapes[1]?.file.replace('.yaml', ''));
    assert.deepEqual(w.spec, shapes[1]?.workflow.spec);
    assert.equal(shapes[1]?.workflow.metadata.labels?.['flotilla.io/sandbox-load'], undefined);
    const valid = validateWorkflow(w);
    assert.equal(valid.ok, true);
    assert.throws(() => loadWorkflow(0, []));
  });

  test('hasLongSleep finds a sleep gate anywhere in a spec', () => {
    const gates = examples.find((e) => e.file === 'gates.yaml');
    assert.ok(gates);
    assert.equal(hasLongSleep(gates.workflow.spec, 60_000), true);
    assert.equal(hasLongSleep(gates.workflow.spec, 3_600_000), false);
    assert.equal(
      hasLongSleep(
        { nodes: [{ id: 'x', kind: 'array', array: { node: { kind: 'gate', gate: { sleep: '2h' } } } }] },
        60_000,
      ),
      true,
    );
    assert.equal(hasLongSleep({ nodes: [{ id: 'x', kind: 'task', task: 't' }] }, 0), false);
  });
});
