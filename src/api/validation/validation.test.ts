/**
 * Table-driven: each case breaks one thing in a valid Workflow and expects exactly one issue,
 * with the right path and code (and, where it matters to a user, words in the message).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { validWorkflow } from '../../../test/support/workflows.js';
import { validateWorkflow, type ValidationCode, type ValidationOptions } from './index.js';

type W = ReturnType<typeof validWorkflow>;
/* Tests reach into the fixture freely: a loose view of it. */
type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Case {
  readonly name: string;
  readonly mutate: (w: W, s: Loose) => void;
  readonly path: string;
  readonly code: ValidationCode;
  readonly message?: RegExp;
  readonly options?: ValidationOptions;
  /** Further issues that must appear too (a second, equally true issue). */
  readonly extra?: readonly (readonly [string, ValidationCode])[];
}

const cases: Case[] = [
  {
    name: 'unknown kind',
    mutate: (_, s) => (s.nodes[0].kind = 'job'),
    path: 'spec.nodes[0].kind',
    code: 'SchemaViolation',
    message: /one of 'task', 'branch'/,
  },
  {
    name: 'unknown field on a node',
    mutate: (_, s) => (s.nodes[0].retry = 3),
    path: 'spec.nodes[0].retry',
    code: 'SchemaViolation',
    message: /unknown field 'retry'/,
  },
  {
    name: 'retries of the wrong type',
    mutate: (_, s) => (s.tasks.extract.retries = 'two'),
    path: 'spec.tasks.extract.retries',
    code: 'SchemaViolation',
    message: /whole number/,
  },
  {
    name: 'duplicate id',
    mutate: (_, s) => (s.nodes[1].id = 'extract'),
    path: 'spec.nodes[1].id',
    code: 'DuplicateId',
    message: /already used by spec.nodes\[0\]/,
  },
  { name: 'missing id', mutate: (_, s) => delete s.nodes[1].id, path: 'spec.nodes[1].id', code: 'MissingId' },
  {
    name: 'uppercase id',
    mutate: (_, s) => (s.nodes[1].id = 'Per-Part'),
    path: 'spec.nodes[1].id',
    code: 'BadName',
    message: /lowercase/,
  },
  {
    name: 'unicode id',
    mutate: (_, s) => (s.nodes[1].id = 'pärt'),
    path: 'spec.nodes[1].id',
    code: 'BadName',
    message: /U\+00E4/,
  },
  {
    name: 'bidi override in an id',
    mutate: (_, s) => (s.nodes[1].id = 'a\u202eb'),
    path: 'spec.nodes[1].id',
    code: 'BadName',
    message: /U\+202E/,
  },
  {
    name: 'id longer than 63',
    mutate: (_, s) => (s.nodes[1].id = 'a'.repeat(64)),
    path: 'spec.nodes[1].id',
    code: 'BadName',
    message: /64 characters/,
  },
  {
    name: 'dependsOn a typo',
    mutate: (_, s) => (s.nodes[2].dependsOn = ['extrct']),
    path: 'spec.nodes[2].dependsOn[0]',
    code: 'UnknownNode',
    message: /'gate' depends on 'extrct'.*did you mean 'extract'\?/,
  },
  {
    name: 'fromNode of a missing node',
    mutate: (_, s) => (s.outputs.rows.fromNode = 'extracts'),
    path: 'spec.outputs.rows.fromNode',
    code: 'UnknownNode',
    message: /did you mean 'extract'/,
  },
  {
    name: 'unknown task template',
    mutate: (_, s) => (s.nodes[0].task = 'extractt'),
    path: 'spec.nodes[0].task',
    code: 'UnknownTask',
    message: /did you mean 'extract'/,
  },
  {
    name: 'unknown workflow input',
    mutate: (_, s) => (s.nodes[0].inputs.date.fromInput = 'dat'),
    path: 'spec.nodes[0].inputs.date.fromInput',
    code: 'UnknownInput',
    message: /did you mean 'date'/,
  },
  {
    name: 'unknown sub-workflow input',
    mutate: (_, s) => (s.subWorkflows.publish.nodes[0].inputs.target.fromInput = 'targt'),
    path: 'spec.subWorkflows.publish.nodes[0].inputs.target.fromInput',
    code: 'UnknownInput',
    message: /sub-workflow 'publish'/,
  },
  {
    name: 'unknown declared output',
    mutate: (_, s) => (s.outputs.rows.output = 'rowz'),
    path: 'spec.outputs.rows.output',
    code: 'UnknownOutput',
    message: /has outputs 'rows'; did you mean 'rows'/,
  },
  {
    name: 'unknown output of a branch',
    mutate: (_, s) => (s.outputs.pushed.output = 'pushd'),
    path: 'spec.outputs.pushed.output',
    code: 'UnknownOutput',
  },
  {
    name: 'echo output that is not an input',
    mutate: (_, s) => (s.subWorkflows.publish.outputs.pushed.output = 'count'),
    path: 'spec.subWorkflows.publish.outputs.pushed.output',
    code: 'UnknownOutput',
  },
  {
    name: 'output of a sleep gate',
    mutate: (_, s) => (s.nodes[2].gate = { sleep: '1s' }),
    path: 'spec.nodes[3].branch.cases[0].when.left.output',
    code: 'UnknownOutput',
    message: /produces no outputs/,
  },
  {
    name: 'two-node cycle',
    mutate: (_, s) => (s.nodes[0].dependsOn = ['gate']),
    path: 'spec.nodes[0].dependsOn[0]',
    code: 'Cycle',
    message: /extract → gate → extract/,
  },
  {
    name: 'three-node cycle through fromNode',
    mutate: (_, s) => {
      s.nodes.push(
        { id: 'a', kind: 'task', task: 'count', dependsOn: ['c'] },
        { id: 'b', kind: 'task', task: 'count', inputs: { x: { fromNode: 'a' } } },
        { id: 'c', kind: 'task', task: 'count', inputs: { y: { fromNode: 'b' } } },
      );
    },
    path: 'spec.nodes[4].dependsOn[0]',
    code: 'Cycle',
    message: /a → c → b → a/,
  },
  {
    name: 'self dependency',
    mutate: (_, s) => (s.nodes[0].dependsOn = ['extract']),
    path: 'spec.nodes[0].dependsOn[0]',
    code: 'Cycle',
    message: /depends on itself/,
  },
  {
    name: 'number compared with string',
    mutate: (_, s) => (s.nodes[3].branch.cases[0].when = { left: { value: 1 }, op: 'eq', right: { value: '1' } }),
    path: 'spec.nodes[3].branch.cases[0].when',
    code: 'TypeMismatch',
    message: /a number with a string/,
  },
  {
    name: 'boolean signal compared with a string',
    mutate: (_, s) => (s.nodes[3].branch.cases[0].when.right = { value: 'yes' }),
    path: 'spec.nodes[3].branch.cases[0].when',
    code: 'TypeMismatch',
  },
  {
    name: 'timestamp comparison with a non-timestamp',
    mutate: (_, s) =>
      (s.nodes[3].branch.cases[0].when = {
        left: { fromInput: 'date' },
        op: 'gt',
        right: { value: 'yesterday' },
        as: 'timestamp',
      }),
    path: 'spec.nodes[3].branch.cases[0].when.right',
    code: 'TypeMismatch',
    message: /ISO 8601/,
  },
  {
    name: 'ordering booleans',
    mutate: (_, s) => (s.nodes[3].branch.cases[0].when.op = 'gt'),
    path: 'spec.nodes[3].branch.cases[0].when.left',
    code: 'TypeMismatch',
    message: /'gt' orders values/,
    extra: [['spec.nodes[3].branch.cases[0].when.right', 'TypeMismatch']],
  },
  {
    name: 'array over a literal number',
    mutate: (_, s) => (s.nodes[1].array.over = { value: 5 }),
    path: 'spec.nodes[1].array.over',
    code: 'NotAList',
  },
  {
    name: 'array over a scalar input',
    mutate: (_, s) => (s.nodes[1].array.over = { fromInput: 'n' }),
    path: 'spec.nodes[1].array.over',
    code: 'NotAList',
  },
  {
    name: 'task node without task',
    mutate: (_, s) => delete s.nodes[0].task,
    path: 'spec.nodes[0].task',
    code: 'MissingBlock',
  },
  {
    name: 'array without node',
    mutate: (_, s) => delete s.nodes[1].array.node,
    path: 'spec.nodes[1].array.node',
    code: 'MissingBlock',
  },
  {
    name: 'array of branches',
    mutate: (_, s) => (s.nodes[1].array.node = { kind: 'gate', gate: { sleep: '1s' } }),
    path: 'spec.nodes[1].array.node.kind',
    code: 'UnsupportedNode',
    message: /wrap the gate in a sub-workflow/,
  },
  {
    name: 'second kind block',
    mutate: (_, s) => (s.nodes[0].gate = { sleep: '1s' }),
    path: 'spec.nodes[0].gate',
    code: 'ConflictingBlocks',
  },
  {
    name: 'branch without cases',
    mutate: (_, s) => (s.nodes[3].branch.cases = []),
    path: 'spec.nodes[3].branch.cases',
    code: 'EmptyBranch',
  },
  {
    name: 'gate without a kind',
    mutate: (_, s) => (s.nodes[2].gate = {}),
    path: 'spec.nodes[2].gate',
    code: 'GateWithoutKind',
  },
  {
    name: 'gate with two kinds',
    mutate: (_, s) => (s.nodes[2].gate.sleep = '5s'),
    path: 'spec.nodes[2].gate',
    code: 'ConflictingBlocks',
  },
  {
    name: 'else with node and error',
    mutate: (_, s) =>
      (s.nodes[3].branch.else.node = { id: 'other', kind: 'task', task: 'count', inputs: { pushed: { value: 1 } } }),
    path: 'spec.nodes[3].branch.else',
    code: 'ConflictingBlocks',
  },
  {
    name: 'duration that does not parse',
    mutate: (_, s) => (s.activeDeadline = '1 hour'),
    path: 'spec.activeDeadline',
    code: 'BadDuration',
    message: /1h30m/,
  },
  {
    name: 'zero timeout',
    mutate: (_, s) => (s.tasks.extract.timeout = '0s'),
    path: 'spec.tasks.extract.timeout',
    code: 'BadDuration',
    message: /longer than zero/,
  },
  {
    name: 'sleep plugin duration',
    mutate: (_, s) => (s.tasks.nap.config.duration = 'soon'),
    path: 'spec.tasks.nap.config.duration',
    code: 'BadDuration',
  },
  // A sleep past the 366-day bound never wakes (20 digits of hours overflow every date): found by the hostile fault scenario.
  {
    name: 'sleep gate longer than 366 days',
    mutate: (_, s) => (s.nodes[2].gate = { sleep: '99999999999999999999h' }),
    path: 'spec.nodes[2].gate.sleep',
    code: 'BadDuration',
    message: /366 days/,
    extra: [['spec.nodes[3].branch.cases[0].when.left.output', 'UnknownOutput']],
  },
  {
    name: 'sleep plugin duration longer than 366 days',
    mutate: (_, s) => (s.tasks.nap.config.duration = '367d'),
    path: 'spec.tasks.nap.config.duration',
    code: 'BadDuration',
    message: /366 days/,
  },
  {
    name: 'too many nodes',
    mutate: () => undefined,
    options: { maxNodes: 3 },
    path: 'spec.nodes',
    code: 'TooManyNodes',
    message: /limit is 3/,
  },
  {
    name: 'too deep',
    mutate: () => undefined,
    options: { maxDepth: 1 },
    path: 'spec.nodes[1].array.node',
    code: 'TooDeep',
  },
  { name: 'spec too large', mutate: () => undefined, options: { maxSpecBytes: 200 }, path: 'spec', code: 'TooLarge' },
  {
    name: 'input value too large',
    mutate: (_, s) => (s.inputs.blob = 'x'.repeat(70_000)),
    path: 'spec.inputs.blob',
    code: 'TooLarge',
  },
  {
    name: 'array over too many items',
    mutate: (_, s) => (s.inputs.parts = Array.from({ length: 20 }, (_v, i) => i)),
    options: { maxArrayItems: 10 },
    path: 'spec.nodes[1].array.over',
    code: 'TooLarge',
  },
  {
    name: 'fromItem outside an array',
    mutate: (_, s) => (s.nodes[0].inputs.item = { fromItem: true }),
    path: 'spec.nodes[0].inputs.item.fromItem',
    code: 'FromItemOutsideArray',
  },
  {
    name: 'binding with two sources',
    mutate: (_, s) => (s.nodes[0].inputs.date = { fromInput: 'date', value: 'x' }),
    path: 'spec.nodes[0].inputs.date',
    code: 'BadBinding',
    message: /2 sources/,
  },
  {
    name: 'binding with no source',
    mutate: (_, s) => (s.nodes[0].inputs.date = {}),
    path: 'spec.nodes[0].inputs.date',
    code: 'BadBinding',
  },
  {
    name: 'output without fromNode',
    mutate: (_, s) => (s.nodes[0].inputs.date.output = 'rows'),
    path: 'spec.nodes[0].inputs.date.output',
    code: 'BadBinding',
  },
  {
    name: 'unknown sub-workflow',
    mutate: (_, s) => (s.nodes[3].branch.cases[0].node.workflow.ref = 'publsh'),
    path: 'spec.nodes[3].branch.cases[0].node.workflow.ref',
    code: 'UnknownSubWorkflow',
    message: /did you mean 'publish'/,
  },
  {
    name: 'recursive sub-workflow',
    mutate: (_, s) =>
      s.subWorkflows.publish.nodes.push({ id: 'again', kind: 'workflow', workflow: { ref: 'publish' } }),
    path: 'spec.subWorkflows.publish.nodes[1].workflow.ref',
    code: 'RecursiveSubWorkflow',
  },
  {
    name: 'pod plugin without pod',
    mutate: (_, s) => delete s.tasks.extract.pod,
    path: 'spec.tasks.extract.pod',
    code: 'MissingBlock',
  },
  {
    name: 'agent without service',
    mutate: (_, s) => (s.tasks.notify.agent = {}),
    path: 'spec.tasks.notify.agent.service',
    code: 'MissingBlock',
  },
  {
    name: 'pod block on echo',
    mutate: (_, s) => (s.tasks.count.pod = { image: 'x' }),
    path: 'spec.tasks.count.pod',
    code: 'ConflictingBlocks',
  },
  {
    name: 'unknown plugin',
    mutate: (_, s) => (s.tasks.count.plugin = 'ecko'),
    options: { plugins: ['echo', 'sleep', 'flaky', 'pod', 'agent'] },
    path: 'spec.tasks.count.plugin',
    code: 'UnknownPlugin',
    message: /did you mean 'echo'/,
  },
  {
    name: 'task name with a space',
    mutate: (_, s) => (s.tasks['my task'] = { plugin: 'echo' }),
    path: 'spec.tasks["my task"]',
    code: 'BadName',
  },
  {
    name: 'signal name unusable in an annotation',
    mutate: (_, s) => (s.nodes[2].gate.signal.name = 'approve now'),
    path: 'spec.nodes[2].gate.signal.name',
    code: 'BadName',
  },
  {
    name: 'minSuccessRatio above 1',
    mutate: (_, s) => (s.nodes[1].array.minSuccessRatio = 1.5),
    path: 'spec.nodes[1].array.minSuccessRatio',
    code: 'SchemaViolation',
    message: /at most 1/,
  },
  {
    name: 'bad failurePolicy',
    mutate: (_, s) => (s.failurePolicy = 'FailSometimes'),
    path: 'spec.failurePolicy',
    code: 'SchemaViolation',
    message: /FailImmediately/,
  },
  {
    name: 'onFailure with an unknown task',
    mutate: (_, s) => (s.onFailure.task = 'notfy'),
    path: 'spec.onFailure.task',
    code: 'UnknownTask',
  },
  {
    name: 'comparison and logic mixed',
    mutate: (_, s) => (s.nodes[3].branch.cases[0].when.and = [{ left: { value: 1 }, op: 'eq', right: { value: 1 } }]),
    path: 'spec.nodes[3].branch.cases[0].when',
    code: 'BadCondition',
  },
  {
    name: 'case node without id',
    mutate: (_, s) => delete s.nodes[3].branch.cases[0].node.id,
    path: 'spec.nodes[3].branch.cases[0].node.id',
    code: 'MissingId',
  },
  {
    name: 'metadata.name not a DNS subdomain',
    mutate: (w) => (w.metadata['name'] = 'Nightly_ETL'),
    path: 'metadata.name',
    code: 'BadName',
  },
  {
    name: 'metadata.name too long',
    mutate: (w) => (w.metadata['name'] = 'a'.repeat(254)),
    path: 'metadata.name',
    code: 'BadName',
    message: /253/,
  },
  {
    name: 'wrong apiVersion',
    mutate: (w) => (w.apiVersion = 'flotilla.io/v1'),
    path: 'apiVersion',
    code: 'BadApiVersion',
  },
];

describe('validateWorkflow: one broken thing, one issue', () => {
  test('the fixture itself is valid', () => {
    const result = validateWorkflow(validWorkflow());
    assert.deepEqual(result.ok ? [] : result.issues, []);
  });

  test('there are at least 30 distinct invalid cases', () => {
    assert.ok(cases.length >= 30);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
  });

  for (const c of cases) {
    test(`${c.name} → ${c.code} at ${c.path}`, () => {
      const w = validWorkflow();
      c.mutate(w, w.spec as Loose);
      const result = validateWorkflow(w, c.options);
      assert.equal(result.ok, false, 'expected the workflow to be rejected');
      if (result.ok) return;
      assert.deepEqual(
        result.issues.map((i) => [i.path, i.code]),
        [[c.path, c.code], ...(c.extra ?? [])],
        `issues: ${JSON.stringify(result.issues, null, 1)}`,
      );
      const [issue] = result.issues;
      if (c.message !== undefined) assert.match(issue?.message ?? '', c.message);
    });
  }
});

describe('validateWorkflow: valid workflows are accepted', () => {
  const dir = new URL('../../../examples/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  test('there are at least ten examples', () => {
    assert.ok(files.length >= 10, `examples: ${files.join(', ')}`);
  });

  for (const file of files) {
    test(`examples/${file}`, () => {
      const result = validateWorkflow(parse(readFileSync(new URL(file, dir), 'utf8')));
      assert.deepEqual(result.ok ? [] : result.issues, []);
    });
  }

  test('names at the limits, unicode in values, a fromNode without output', () => {
    const w = validWorkflow();
    const s = w.spec as Loose;
    w.metadata['name'] = `${'a'.repeat(61)}.${'b'.repeat(191)}`;
    s.nodes[1].id = 'p'.repeat(63);
    s.inputs.greeting = 'grüß dich ✓';
    s.nodes[0].inputs.all = { fromNode: 'gate' };
    s.nodes[0].dependsOn = ['gate'];
    s.nodes[2].dependsOn = [];
    assert.deepEqual(validateWorkflow(w).ok ? [] : (validateWorkflow(w) as { issues: unknown[] }).issues, []);
  });

  test('a sleep of zero or of exactly 366 days is accepted (only timeouts must be longer than zero)', () => {
    for (const sleep of ['0s', '366d']) {
      const w = validWorkflow();
      const s = w.spec as Loose;
      s.nodes[2].gate = { sleep };
      s.nodes[3].branch.cases[0].when = { left: { value: 1 }, op: 'eq', right: { value: 1 } };
      s.tasks.nap.config.duration = sleep;
      const result = validateWorkflow(w);
      assert.deepEqual(result.ok ? [] : result.issues, [], sleep);
    }
  });
});

describe('pod resource quantities', () => {
  const withResources = (resources: unknown): unknown => {
    const w = validWorkflow();
    const tasks = (w.spec['tasks'] ?? {}) as Record<string, unknown>;
    w.spec['tasks'] = tasks;
    tasks['heavy'] = { plugin: 'pod', pod: { image: 'busybox', resources } };
    return w;
  };
  test('quantities that parse and fit are valid', () => {
    assert.equal(
      validateWorkflow(
        withResources({ requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } }),
      ).ok,
      true,
    );
  });
  test('an unparsable quantity, a negative one, or a request over its limit is BadQuantity', () => {
    for (const resources of [
      { requests: { cpu: 'lots' } },
      { limits: { memory: '-1Gi' } },
      { requests: { cpu: '2' }, limits: { cpu: '1' } },
    ]) {
      const result = validateWorkflow(withResources(resources));
      assert.equal(result.ok, false, JSON.stringify(resources));
      if (!result.ok)
        assert.ok(
          result.issues.some((i) => i.code === 'BadQuantity' && i.path.startsWith('spec.tasks.heavy.pod.resources')),
          JSON.stringify(result.issues),
        );
    }
  });
});
