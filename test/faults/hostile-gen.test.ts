/**
 * The hostile-input generator and its oracle, without a fleet: every kind is produced, names are
 * unique and repeatable from the seed, the oracle's verdicts agree with what each variant was
 * meant to be and with the validators, the valid ones really run to success (in process), and
 * 1,000 manifests stay small enough to push from a 2-core machine.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateWorkflow } from '../../src/api/validation/index.js';
import type { Workflow } from '../../src/api/workflow.js';
import { runLocal } from '../../src/engine/local-runner.js';
import { localPlugins } from '../../src/plugins/local.js';
import { maxBodyBytes } from '../../sandbox/apiserver/http/respond.js';
import { generateHostile, HOSTILE_KINDS, judge, type HostileCase } from './hostile.js';

const NS = 'faults';
const agrees = (c: HostileCase): boolean =>
  c.intent === 'rejected' ? c.verdict.expect !== 'succeeded' : c.verdict.expect === c.intent;
const describeCase = (c: HostileCase): string =>
  `${c.id} ${c.kind}/${c.variant} meant ${c.intent}, oracle ${JSON.stringify(c.verdict).slice(0, 400)}`;

describe('hostile workflows: 1,000 from one seed', () => {
  let cases: HostileCase[] = [];
  before(() => {
    cases = generateHostile({ seed: 20261125, count: 1000, namespace: NS });
  });

  test('every kind is produced, each with rejected cases, and all three outcomes occur', () => {
    assert.equal(cases.length, 1000);
    for (const kind of HOSTILE_KINDS) {
      const mine = cases.filter((c) => c.kind === kind);
      assert.ok(mine.length >= 90, `${kind}: ${mine.length}`);
      assert.ok(
        mine.some((c) => c.verdict.expect !== 'succeeded'),
        `${kind} has no invalid case`,
      );
      assert.ok(new Set(mine.map((c) => c.variant)).size >= 2, `${kind} has one variant only`);
    }
    const outcomes = new Map<string, number>();
    for (const c of cases) outcomes.set(c.verdict.expect, (outcomes.get(c.verdict.expect) ?? 0) + 1);
    for (const o of ['refused', 'failed', 'succeeded'])
      assert.ok((outcomes.get(o) ?? 0) >= 50, `${o}: ${outcomes.get(o) ?? 0}`);
    // Mostly hostile: the valid ones are the minority.
    assert.ok((outcomes.get('succeeded') ?? 0) < 300);
  });

  test('names are unique, hostile-<n> in order, in one namespace', () => {
    assert.deepEqual(
      cases.map((c) => c.id),
      cases.map((_, n) => `hostile-${n}`),
    );
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
    for (const c of cases) {
      const manifest = JSON.parse(c.body) as {
        apiVersion: unknown;
        kind: unknown;
        metadata: { name: unknown; namespace: unknown };
      };
      assert.equal(manifest.apiVersion, 'flotilla.io/v1alpha1');
      assert.equal(manifest.kind, 'Workflow');
      assert.equal(manifest.metadata.namespace, NS);
      // A case about the name derives it from the id, so no two cases can collide; a numeric name is the id's number.
      if (typeof manifest.metadata.name === 'number') assert.equal(`hostile-${manifest.metadata.name}`, c.id);
      else assert.equal(manifest.metadata.name, c.name);
      if (c.name !== c.id && typeof manifest.metadata.name !== 'number')
        assert.ok(c.name.startsWith(`${c.id}-`), `${c.id}: ${c.name.slice(0, 80)}`);
    }
  });

  test('the oracle agrees with what every variant was meant to be', () => {
    const wrong = cases.filter((c) => !agrees(c));
    assert.deepEqual(wrong.map(describeCase), []);
  });

  test('the oracle agrees with the validators: refusals name a field, failures name paths', () => {
    for (const c of cases) {
      const v = c.verdict;
      if (v.expect === 'refused') {
        if (v.code === 413) {
          assert.ok(c.bytes > maxBodyBytes, describeCase(c));
          continue;
        }
        if (v.code === 400) {
          // ObjectMeta that does not decode: no field causes, Go's decoder words.
          assert.match(c.variant, /^metadata-.*-wrong-type$/, describeCase(c));
          assert.match(
            v.message,
            /^Workflow in version "v1alpha1" cannot be handled as a Workflow: json: cannot unmarshal \w+ into Go struct field ObjectMeta\.metadata\.(name|labels|annotations) of type /,
            describeCase(c),
          );
          continue;
        }
        assert.equal(v.code, 422, describeCase(c));
        assert.ok(v.fields.length > 0, describeCase(c));
        for (const f of v.fields) assert.match(f, /^(spec|metadata)(\.|\[|$)/, describeCase(c));
      } else if (v.expect === 'failed') {
        assert.ok(v.issues.length > 0);
        for (const i of v.issues) assert.match(i.path, /^(spec|metadata)(\.|\[|$)/, describeCase(c));
        // What the server stored fails, and so does what the client sent (pruning never makes a spec invalid).
        assert.equal(validateWorkflow(JSON.parse(c.body)).ok, false, describeCase(c));
      } else if (c.variant !== 'unknown-field-top') {
        // Valid as sent, except where the API server prunes an unknown field first.
        const result = validateWorkflow(JSON.parse(c.body));
        assert.deepEqual(result.ok ? [] : result.issues, [], describeCase(c));
      }
    }
  });

  test('every valid one runs to Succeeded in process (virtual clock)', async () => {
    const valid = cases.filter((c) => c.verdict.expect === 'succeeded');
    for (const c of valid) {
      const workflow = JSON.parse(c.body) as Workflow;
      workflow.metadata.uid = `uid-${c.id}`;
      workflow.metadata.generation = 1;
      const run = await runLocal({ workflow, plugins: localPlugins });
      assert.equal(
        run.workflow.status?.phase,
        'Succeeded',
        `${describeCase(c)}: ${run.stalled ?? run.workflow.status?.message ?? ''}`,
      );
    }
  });

  test('1,000 manifests stay small enough to push from a 2-core machine', () => {
    const total = cases.reduce((sum, c) => sum + c.bytes, 0);
    const sorted = cases.map((c) => c.bytes).sort((a, b) => a - b);
    assert.ok(total < 64 * 1024 * 1024, `total ${total} bytes`);
    assert.ok(cases.filter((c) => c.bytes > 1024 * 1024).length <= 15, 'few manifests above 1 MiB');
    assert.ok((sorted[500] ?? 0) < 16 * 1024, `median ${sorted[500]} bytes`);
  });
});

describe('hostile workflows: properties over seeds', () => {
  test('any seed: repeatable, unique names, the oracle agrees with every intent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), (seed) => {
        const a = generateHostile({ seed, count: 44, namespace: NS });
        const b = generateHostile({ seed, count: 44, namespace: NS });
        assert.deepEqual(
          a.map((c) => c.body),
          b.map((c) => c.body),
        );
        assert.equal(new Set(a.map((c) => c.name)).size, a.length);
        assert.deepEqual(a.filter((c) => !agrees(c)).map(describeCase), []);
      }),
      { numRuns: 8 },
    );
    const other = generateHostile({ seed: 1, count: 44, namespace: NS });
    const again = generateHostile({ seed: 2, count: 44, namespace: NS });
    assert.notDeepEqual(
      other.map((c) => c.body),
      again.map((c) => c.body),
    );
  });

  test('oversized: the body limit gives 413, the spec and value limits fail, under the limits succeeds', () => {
    const cases = generateHostile({ seed: 7, count: 150, namespace: NS, kinds: ['oversized'] });
    const byVariant = (v: string): HostileCase[] => cases.filter((c) => c.variant === v);
    for (const c of byVariant('body-over-limit')) assert.equal(c.verdict.expect === 'refused' && c.verdict.code, 413);
    for (const v of ['spec-over-limit', 'input-over-limit', 'multibyte-input-over-limit', 'literal-over-limit']) {
      assert.ok(byVariant(v).length > 0, v);
      for (const c of byVariant(v))
        assert.ok(
          c.verdict.expect === 'failed' && c.verdict.issues.some((i) => i.code === 'TooLarge'),
          describeCase(c),
        );
    }
    for (const c of byVariant('long-name'))
      assert.ok(c.verdict.expect === 'refused' && c.verdict.fields.includes('metadata.name'), describeCase(c));
    for (const c of byVariant('input-just-under-limit')) assert.equal(c.verdict.expect, 'succeeded');
  });

  test('the oracle is the API server: wrong types at the top are refused naming the field, deeper the validator fails them', () => {
    const body = (spec: unknown): string =>
      JSON.stringify({
        apiVersion: 'flotilla.io/v1alpha1',
        kind: 'Workflow',
        metadata: { name: 'w', namespace: NS },
        spec,
      });
    const top = judge(body({ tasks: { say: { plugin: 'echo' } }, nodes: [{ id: 5, kind: 'task', task: 'say' }] }), NS);
    assert.ok(
      top.expect === 'refused' && top.code === 422 && top.fields.includes('spec.nodes[0].id'),
      JSON.stringify(top),
    );
    const leaf = { id: 5, kind: 'task', task: 'say' };
    const wrap = (node: unknown, id: string): unknown => ({
      id,
      kind: 'branch',
      branch: { cases: [{ when: { left: { value: 1 }, op: 'eq', right: { value: 1 } }, node }] },
    });
    const deep = judge(body({ tasks: { say: { plugin: 'echo' } }, nodes: [wrap(wrap(leaf, 'b'), 'a')] }), NS);
    assert.ok(
      deep.expect === 'failed' &&
        deep.issues.some((i) => i.path === 'spec.nodes[0].branch.cases[0].node.branch.cases[0].node.id'),
      JSON.stringify(deep),
    );
    const pruned = judge(
      body({ tasks: { say: { plugin: 'echo' } }, nodes: [{ id: 'a', kind: 'task', task: 'say', colour: 'red' }] }),
      NS,
    );
    assert.deepEqual(pruned, { expect: 'succeeded' });
  });
});
