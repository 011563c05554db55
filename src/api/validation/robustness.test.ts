/**
 * "All issues at once", and hostile input: random wrong types, deep nesting, huge strings,
 * unicode, reference cycles and dependency cycles never make the validator throw.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validWorkflow } from '../../../test/support/workflows.js';
import { validateWorkflow, validateWorkflowSpec, type ValidationResult } from './index.js';

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function assertWellFormed(result: ValidationResult): void {
  assert.equal(typeof result.ok, 'boolean');
  if (result.ok) return;
  assert.ok(result.issues.length > 0, 'a rejection names at least one issue');
  for (const issue of result.issues) {
    assert.equal(typeof issue.path, 'string');
    assert.equal(typeof issue.code, 'string');
    assert.ok(issue.message.length > 0 && issue.message.length < 2000, 'messages stay readable');
  }
}

describe('all issues at once', () => {
  test('a spec with five problems reports five issues', () => {
    const w = validWorkflow();
    const s = w.spec as Loose;
    s.nodes[0].task = 'extractt'; // UnknownTask
    s.nodes[1].id = 'Per_Part'; // BadName
    s.nodes[2].dependsOn = ['nope']; // UnknownNode
    s.nodes[3].branch.cases[0].when.right = { value: 'yes' }; // TypeMismatch
    s.activeDeadline = 'soon'; // BadDuration
    const result = validateWorkflow(w);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.issues.map((i) => i.code).sort(), [
      'BadDuration',
      'BadName',
      'TypeMismatch',
      'UnknownNode',
      'UnknownTask',
    ]);
  });

  test('schema and semantic problems are reported together', () => {
    const issues = validateWorkflowSpec({
      tasks: { t: { plugin: 'echo', bogus: true } },
      nodes: [{ id: 'a', kind: 'task', task: 'x', dependsOn: ['a'] }],
      activeDeadline: 7,
    });
    assert.deepEqual(issues.map((i) => `${i.code} ${i.path}`).sort(), [
      'Cycle spec.nodes[0].dependsOn[0]',
      'SchemaViolation spec.activeDeadline',
      'SchemaViolation spec.tasks.t.bogus',
      'UnknownTask spec.nodes[0].task',
    ]);
  });

  test('the number of issues is capped, with a summary', () => {
    const nodes = Array.from({ length: 300 }, (_, i) => ({ id: `n${i}`, kind: 'task', task: 'missing' }));
    const issues = validateWorkflowSpec({ tasks: {}, nodes }, { maxIssues: 50 });
    assert.equal(issues.length, 51);
    assert.equal(issues[50]?.code, 'TooManyIssues');
  });
});

describe('hostile input never throws', () => {
  test('non-objects, exotic values and reference cycles', () => {
    const cyclic: Loose = { tasks: {}, nodes: [] };
    cyclic.nodes.push(cyclic);
    const deep: unknown[] = [];
    let cur = deep;
    for (let i = 0; i < 100_000; i++) {
      const next: unknown[] = [];
      cur.push(next);
      cur = next;
    }
    const inputs: unknown[] = [
      undefined,
      null,
      0,
      NaN,
      'spec',
      [],
      {},
      Symbol('x'),
      () => 1,
      10n,
      new Date(),
      new Map(),
      cyclic,
      deep,
      { spec: cyclic },
      { spec: deep },
    ];
    const w = validWorkflow();
    (w.spec as Loose).inputs.when = new Date();
    inputs.push(w);
    for (const input of inputs) {
      assertWellFormed(validateWorkflow(input));
      const issues = validateWorkflowSpec(input);
      assert.ok(Array.isArray(issues) && issues.length > 0);
    }
    const cyclicResult = validateWorkflowSpec(cyclic);
    assert.equal(cyclicResult[0]?.code, 'NotJson');
    assert.equal(validateWorkflowSpec({ tasks: {}, nodes: deep })[0]?.code, 'TooDeep');
  });

  test('a throwing proxy is reported, not thrown', () => {
    const trap = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    assertWellFormed(
      validateWorkflow({ apiVersion: 'flotilla.io/v1alpha1', kind: 'Workflow', metadata: { name: 'x' }, spec: trap }),
    );
  });

  test('YAML-alias style sharing cannot blow up (billion laughs)', () => {
    let layer: unknown = ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol'];
    for (let i = 0; i < 9; i++) layer = Array.from({ length: 10 }, () => layer);
    const issues = validateWorkflowSpec({
      tasks: {},
      nodes: [{ id: 'a', kind: 'task', task: 't' }],
      inputs: { bomb: layer },
    });
    assert.equal(issues[0]?.code, 'TooLarge');
  });

  const hostileValue = fc.oneof(
    fc.jsonValue(),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.constantFrom('x'.repeat(600_000), 'Ä'.repeat(70), '\u202e\u0000\uffff', 'a→b', -0, Number.MAX_VALUE, 1e-300),
    fc.constantFrom(undefined, null, true, [], {}, [[[[[[[[[[[]]]]]]]]]]]),
  );

  test('random replacements anywhere in a valid workflow', () => {
    const w = validWorkflow();
    const paths: (string | number)[][] = [];
    const collect = (v: unknown, p: (string | number)[]): void => {
      paths.push(p);
      if (Array.isArray(v)) v.forEach((x, i) => collect(x, [...p, i]));
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) collect(x, [...p, k]);
    };
    collect(w, []);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(paths.length - 1), hostileValue), { minLength: 1, maxLength: 6 }),
        (edits) => {
          const copy = validWorkflow() as Loose;
          for (const [index, value] of edits) {
            const path = paths[index] ?? [];
            if (path.length === 0) continue;
            let target: Loose | undefined = copy;
            for (const seg of path.slice(0, -1))
              target = target !== null && typeof target === 'object' ? target[seg] : undefined;
            if (target !== null && typeof target === 'object') target[path[path.length - 1] as string] = value;
          }
          assertWellFormed(validateWorkflow(copy));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random graphs (cycles, unknown ids, odd ids) give a result', () => {
    const id = fc.oneof(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'A', 'ä', ''), fc.string({ maxLength: 5 }));
    const binding = fc.oneof(
      fc.record({ fromNode: id, output: fc.constantFrom('x', 'value', 'item') }),
      fc.record({ fromInput: fc.constantFrom('p', 'q') }),
      fc.record({ fromItem: fc.boolean() }),
      fc.record({ value: fc.jsonValue() }),
      fc.record({ fromNode: id, value: fc.integer() }),
    );
    const node: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      node: fc.record(
        {
          id,
          kind: fc.constantFrom('task', 'branch', 'array', 'gate', 'workflow', 'nope'),
          task: fc.constantFrom('t', 'u'),
          dependsOn: fc.array(id, { maxLength: 3 }),
          inputs: fc.dictionary(fc.constantFrom('x', 'y', 'item'), binding, { maxKeys: 2 }),
          branch: fc.record({
            cases: fc.array(
              fc.record({
                when: fc.record({ left: binding, op: fc.constantFrom('eq', 'gt'), right: binding }),
                node: tie('node'),
              }),
              { maxLength: 2 },
            ),
          }),
          array: fc.record({ over: binding, node: tie('node') }),
          gate: fc.record(
            {
              signal: fc.record({ name: id, type: fc.constantFrom('boolean', 'string') }),
              sleep: fc.constantFrom('1s', '0s', 'x'),
            },
            { requiredKeys: [] },
          ),
          workflow: fc.record({ ref: fc.constantFrom('s', 'r') }),
        },
        { requiredKeys: ['kind'] },
      ),
    })).node;
    const spec = fc.record({
      inputs: fc.constant({ p: [1, 2], q: 3 }),
      tasks: fc.constant({
        t: { plugin: 'echo' },
        u: { plugin: 'pod', pod: { image: 'x' }, outputs: { x: 'number' } },
      }),
      nodes: fc.array(node, { maxLength: 8 }),
      subWorkflows: fc.record({
        s: fc.record({ nodes: fc.array(node, { maxLength: 3 }) }),
        r: fc.record({ nodes: fc.array(node, { maxLength: 3 }) }),
      }),
    });
    fc.assert(
      fc.property(spec, (s) => {
        const issues = validateWorkflowSpec(s, { maxDepth: 4 });
        assert.ok(Array.isArray(issues));
        assertWellFormed(
          validateWorkflow({ apiVersion: 'flotilla.io/v1alpha1', kind: 'Workflow', metadata: { name: 'w' }, spec: s }),
        );
      }),
      { numRuns: 300 },
    );
  });
});
