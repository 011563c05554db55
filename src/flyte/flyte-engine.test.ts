/** Unit tests of the Flyte front end's pure parts: conditions, templates, durations, codecs, projection. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../api/schema.js';
import type { WorkflowStatus } from '../api/status.js';
import { evaluateBooleanExpression } from './expressions.js';
import { FlyteError } from './errors.js';
import { renderTemplates, type TemplateParams } from './container/template.js';
import { parseStandInRules, runStandIn } from './container/stand-in.js';
import { decodeErrorDocument, decodeLiteralMap, encodeErrorDocument, encodeLiteralMap } from './literals/codec.js';
import { normalizeLiteral } from './literals/values.js';
import { bindingToLiteral } from './literals/bindings.js';
import { durationMs } from './translate/durations.js';
import { completionLabels, engineStatusOf, projectFlyteStatus } from './project/index.js';
import { WorkflowPhase } from './status.js';
import type { FlyteWorkflowSpec } from './types.js';

const int = (n: string) => ({ scalar: { primitive: { integer: n } } });
const cmp = (operator: string | undefined, left: JsonObject, right: JsonObject): JsonObject => ({
  comparison: { ...(operator ? { operator } : {}), leftValue: left, rightValue: right },
});

describe('branch conditions', () => {
  const inputs = {
    '.x': int('9007199254740993'),
    '.f': { scalar: { primitive: { floatValue: 2.5 } } },
    '.s': { scalar: { primitive: { stringValue: 'b' } } },
    '.t': { scalar: { primitive: { boolean: true } } },
  };
  test('integers compare exactly beyond 2^53, integers with floats as numbers, EQ and AND by default', () => {
    assert.equal(
      evaluateBooleanExpression(cmp('GT', { var: '.x' }, { primitive: { integer: '9007199254740992' } }), inputs),
      true,
    );
    assert.equal(
      evaluateBooleanExpression(cmp('LT', { var: '.f' }, { scalar: { primitive: { integer: '3' } } }), inputs),
      true,
    );
    assert.equal(
      evaluateBooleanExpression(cmp(undefined, { var: '.s' }, { scalar: { primitive: { stringValue: 'b' } } }), inputs),
      true,
    );
    const both = {
      conjunction: {
        leftExpression: cmp(undefined, { var: '.t' }, { primitive: { boolean: true } }),
        rightExpression: cmp('GTE', { var: '.s' }, { primitive: { stringValue: 'c' } }),
      },
    };
    assert.equal(evaluateBooleanExpression(both, inputs), false);
    assert.equal(evaluateBooleanExpression({ conjunction: { ...both.conjunction, operator: 'OR' } }, inputs), true);
  });
  test('mismatched kinds and unknown variables are BadCondition errors', () => {
    assert.throws(
      () => evaluateBooleanExpression(cmp('GT', { var: '.s' }, { var: '.x' }), inputs),
      (e: unknown) => e instanceof FlyteError && e.code === 'BadCondition',
    );
    assert.throws(
      () => evaluateBooleanExpression(cmp('EQ', { var: '.nope' }, { var: '.x' }), inputs),
      (e: unknown) => e instanceof FlyteError && e.code === 'BadCondition',
    );
  });
});

describe('container templates', () => {
  const params: TemplateParams = {
    inputPath: 's3://b/n0/data/inputs.pb',
    inputPrefix: 's3://b/n0/data',
    outputPrefix: 's3://b/n0/data/1',
    rawOutputDataPrefix: 's3://raw/ab/cd',
    checkpointOutputPrefix: 's3://raw/ab/cd/_flytecheckpoints',
    prevCheckpointPrefix: '',
    perRetryUniqueKey: 'k_1',
    taskTemplatePath: 's3://b/n0/data/task.pb',
    namespace: 'ns',
    inputs: {
      xs: { collection: { literals: [int('1'), int('2')] } },
      f: { scalar: { blob: { uri: 's3://x/f.csv' } } },
    },
  };
  test('every FlytePropeller template, any case, `.` or `$`, spaces inside', () => {
    const out = renderTemplates(
      [
        '{{.input}}',
        '{{ .InputPrefix }}',
        '{{$outputPrefix}}',
        '{{.rawOutputDataPrefix}}',
        '{{.checkpointOutputPrefix}}',
        '{{.prevCheckpointPrefix}}',
        '{{.perRetryUniqueKey}}',
        '{{.taskTemplatePath}}',
        '{{.namespace}}',
        'x={{.inputs.xs}} f={{ .Inputs.f }}',
        '{{.other}}',
      ],
      params,
    );
    assert.deepEqual(out, [
      's3://b/n0/data/inputs.pb',
      's3://b/n0/data',
      's3://b/n0/data/1',
      's3://raw/ab/cd',
      's3://raw/ab/cd/_flytecheckpoints',
      '""',
      'k_1',
      's3://b/n0/data/task.pb',
      'ns',
      'x=[1,2] f=s3://x/f.csv',
      '{{.other}}',
    ]);
  });
  test('an unknown input is a BadTemplate error', () => {
    assert.throws(
      () => renderTemplates(['{{.inputs.missing}}'], params),
      (e: unknown) => e instanceof FlyteError && e.code === 'BadTemplate',
    );
  });
});

describe('literals and documents', () => {
  test('LiteralMap and ErrorDocument round-trip through their binary form', () => {
    const literals = { a: int('-12345678901234567'), s: normalizeLiteral('x'), l: normalizeLiteral([1, null, true]) };
    assert.deepEqual(decodeLiteralMap(encodeLiteralMap(literals)), literals);
    const failure = { code: 'SYSTEM:Lost', message: 'gone', recoverable: true, origin: 'system' as const };
    assert.deepEqual(decodeErrorDocument(encodeErrorDocument(failure)), failure);
  });
  test('bindings assemble collections, maps and unions around leaves', () => {
    const binding: JsonObject = {
      collection: {
        bindings: [{ leaf: 0 }, { map: { bindings: { k: { leaf: 1 } } }, union: { targetType: { simple: 'STRING' } } }],
      },
    };
    assert.deepEqual(bindingToLiteral(binding, [3, 'v']), {
      collection: {
        literals: [
          int('3'),
          {
            scalar: {
              union: { value: { map: { literals: { k: normalizeLiteral('v') } } }, type: { simple: 'STRING' } },
            },
          },
        ],
      },
    });
  });
  test('Go and protobuf durations', () => {
    assert.equal(durationMs('5m0s', 'x'), 300_000);
    assert.equal(durationMs('1h2m3.5s', 'x'), 3_723_500);
    assert.equal(durationMs('1.500s', 'x'), 1500);
    assert.equal(durationMs('0s', 'x'), undefined);
    assert.throws(
      () => durationMs('5 minutes', 'x'),
      (e: unknown) => e instanceof FlyteError && e.code === 'Untranslatable',
    );
  });
  test('the stand-in: rules by selector, failures limited to the first attempts', () => {
    const rules = parseStandInRules(
      JSON.stringify({
        n1: { fail: { attempts: 1, origin: 'system', recoverable: true } },
        'task:t': { outputs: { o0: 42 } },
      }),
    );
    const template = { interface: { outputs: { variables: { o0: { type: { simple: 'INTEGER' } } } } } };
    const base = { template, taskName: 't', inputs: {}, path: 'n1', nodeId: 'n1', rules, rawOutputPrefix: 'r' };
    assert.equal(runStandIn({ ...base, attempt: 1 }).kind, 'error');
    assert.deepEqual(runStandIn({ ...base, path: 'n2', nodeId: 'n2', attempt: 1 }), {
      kind: 'outputs',
      literals: { o0: int('42') },
    });
    assert.throws(
      () => parseStandInRules('{"n1": {"fail": {"origin": "kernel"}}}'),
      (e: unknown) => e instanceof FlyteError && e.code === 'BadStandIn',
    );
  });
});

describe('status projection', () => {
  const spec: FlyteWorkflowSpec = {
    id: 'p:d:w',
    nodes: {
      'start-node': { id: 'start-node', kind: 'start' },
      n0: { id: 'n0', kind: 'task', task: 't' },
      'end-node': { id: 'end-node', kind: 'end' },
    },
    onFailure: { id: 'fn0', kind: 'task', task: 't' },
  };
  const failing: WorkflowStatus = {
    phase: 'Failing',
    startedAt: '2025-03-04T10:00:00.000Z',
    message: 'n0: boom',
    nodes: {
      n0: {
        phase: 'Failed',
        kind: 'task',
        task: 'flyte:n0',
        attempts: 3,
        userFailures: 2,
        systemFailures: 1,
        startedAt: '2025-03-04T10:00:00.000Z',
        finishedAt: '2025-03-04T10:05:00.000Z',
        message: 'boom',
        reason: 'USER:X',
        lastFailure: { kind: 'user', reason: 'USER:X', message: 'boom', attempt: 3 },
      },
      _onFailure: {
        phase: 'Running',
        kind: 'task',
        taskPhase: 'Running',
        attempts: 1,
        attemptStartedAt: '2025-03-04T10:05:01.000Z',
        startedAt: '2025-03-04T10:05:01.000Z',
        pluginState: { pod: 'x' },
      },
    },
  };
  test('a failing workflow running its failure node is HandlingFailureNode; nodes carry Flyte numbers', () => {
    const status = projectFlyteStatus({ spec }, failing, {
      dataDir: 's3://m/p-d-w',
      now: Date.parse('2025-03-04T10:05:02Z'),
    });
    assert.equal(status.phase, WorkflowPhase.HandlingFailureNode);
    assert.equal(status.nodeStatus?.['n0']?.phase, 6);
    assert.equal(status.nodeStatus?.['n0']?.attempts, 2);
    assert.equal(status.nodeStatus?.['n0']?.systemFailures, 1);
    assert.equal(status.nodeStatus?.['n0']?.error?.['kind'], 'USER');
    assert.equal(status.nodeStatus?.['fn0']?.phase, 2);
    assert.deepEqual(completionLabels(status, 0), {});
  });
  test('project → JSON → parse gives the same engine state', () => {
    const status = projectFlyteStatus({ spec }, failing, { dataDir: 's3://m/p-d-w', now: 0 });
    assert.deepEqual(engineStatusOf(JSON.parse(JSON.stringify(status))), failing);
    assert.equal(engineStatusOf({ phase: 0 }), undefined);
    assert.throws(
      () => engineStatusOf({ phase: 1, flotilla: { version: 9, engine: {} } }),
      (e: unknown) => e instanceof FlyteError && e.code === 'BadEngineState',
    );
  });
  test('completion labels of a finished workflow: terminated and the UTC hour it stopped', () => {
    assert.deepEqual(completionLabels({ phase: WorkflowPhase.Succeeded, stoppedAt: '2025-03-04T23:59:59Z' }, 0), {
      'termination-status': 'terminated',
      'completed-time': '2025-03-04.23',
    });
  });
});
