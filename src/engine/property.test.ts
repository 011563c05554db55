import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { WorkflowNode, WorkflowSpec } from '../api/schema.js';
import { isTerminalNodePhase, isTerminalWorkflowPhase, WorkflowStatusSchema } from '../api/status.js';
import { Harness } from '../plugins/testing.js';
import { makeWorkflow } from './testing.js';
import { executeRound } from './workflow-executor.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
const validStatus = ajv.compile(WorkflowStatusSchema);

const kindArb = fc.constantFrom('echo', 'flaky0', 'flaky1', 'flaky3', 'sleep', 'gate', 'array');

const dagArb = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.record({
    kinds: fc.array(kindArb, { minLength: n, maxLength: n }),
    deps: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
    policy: fc.constantFrom('FailImmediately', 'FailAfterExecutableNodesComplete') as fc.Arbitrary<
      'FailImmediately' | 'FailAfterExecutableNodesComplete'
    >,
    retries: fc.integer({ min: 0, max: 2 }),
  }),
);

function specOf(d: {
  kinds: string[];
  deps: number[][];
  policy: 'FailImmediately' | 'FailAfterExecutableNodesComplete';
  retries: number;
}): WorkflowSpec {
  const nodes: WorkflowNode[] = d.kinds.map((kind, i) => {
    const id = `n${i}`;
    const dependsOn = i === 0 ? [] : [...new Set((d.deps[i] ?? []).map((x) => `n${x % i}`))];
    const base = { id, dependsOn };
    if (kind === 'gate') return { ...base, kind: 'gate', gate: { sleep: '30s' } };
    if (kind === 'array')
      return {
        ...base,
        kind: 'array',
        array: {
          over: { value: [1, 2, 3, 4] },
          parallelism: 2,
          minSuccessRatio: 0.5,
          node: { kind: 'task', task: 'flaky1', inputs: { i: { fromItem: true } } },
        },
      };
    return { ...base, kind: 'task', task: kind };
  });
  return {
    tasks: {
      echo: { plugin: 'echo' },
      flaky0: { plugin: 'flaky', config: { failAttempts: 0 } },
      flaky1: { plugin: 'flaky', config: { failAttempts: 1 }, retries: d.retries },
      flaky3: { plugin: 'flaky', config: { failAttempts: 3 }, retries: d.retries },
      sleep: { plugin: 'sleep', config: { duration: '1m' } },
    },
    nodes,
    failurePolicy: d.policy,
  };
}

describe('engine properties', () => {
  test('random DAGs always terminate with every node terminal, and every status fits the schema', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, async (d) => {
        const h = new Harness(makeWorkflow(specOf(d)));
        await h.run((x) => {
          assert.ok(validStatus(x.workflow.status ?? {}), JSON.stringify(validStatus.errors));
          return false;
        }, 500);
        assert.ok(isTerminalWorkflowPhase(h.status.phase));
        for (const node of h.workflow.spec.nodes)
          assert.ok(
            isTerminalNodePhase(h.status.nodes?.[node.id ?? '']?.phase),
            `${node.id} ${h.status.nodes?.[node.id ?? '']?.phase}`,
          );
        const shouldSucceed = d.kinds.every(
          (k) => k !== 'flaky3' && ((k !== 'flaky1' && k !== 'array') || d.retries >= 1),
        );
        assert.equal(h.status.phase === 'Succeeded', shouldSucceed);
        assert.ok(validStatus(h.status), JSON.stringify(validStatus.errors));
      }),
      { numRuns: 60 },
    );
  });

  test('a round is a pure function of (status, observations, now), JSON round-trip included', () => {
    fc.assert(
      fc.property(dagArb, fc.integer({ min: 0, max: 10_000_000 }), (d, offset) => {
        const workflow = makeWorkflow(specOf(d));
        const now = Date.parse('2026-01-01T00:00:00Z') + offset;
        const a = executeRound({ workflow, now });
        const roundTripped = JSON.parse(JSON.stringify({ ...workflow, status: a.status })) as typeof workflow;
        const b1 = executeRound({ workflow: roundTripped, now: now + 1 });
        const b2 = executeRound({ workflow: { ...workflow, status: a.status }, now: now + 1 });
        assert.deepEqual(b1, b2);
        assert.deepEqual(JSON.parse(JSON.stringify(b1.status)), b1.status);
      }),
      { numRuns: 100 },
    );
  });
});
