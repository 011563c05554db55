/**
 * FlyteWorkflows run in-process on the engine (translation → engine → projection) against a real
 * file:// blob store: every fixture reaches its expected Flyte phase; inputs.pb / outputs.pb of
 * every container attempt exist and decode as LiteralMaps; no `{{` is left in rendered commands;
 * unsupported types fail naming themselves; projection round-trips the engine state.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runFlyteLocal, type FlyteRunResult } from '../../src/cli/flyte-run.js';
import { completionLabels, engineStatusOf } from '../../src/flyte/project/index.js';
import { decodeLiteralMap } from '../../src/flyte/literals/codec.js';
import { parseFlyteWorkflow, WorkflowPhase, NodePhase } from '../../src/flyte/index.js';
import type { ContainerLaunch } from '../../src/plugins/flyte/index.js';
import { openBlobStore } from '../../src/storage/open.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { fixture, fixtureFiles, FIXTURE_DIR, type Obj } from './fixtures.js';

const RUN_DIR = join(FIXTURE_DIR, 'run');
const SIGNALS = { 'go-live': true, 'approve-artifact': true };

/** Expected terminal phase per fixture (ours under test/fixtures/flyte and test/fixtures/flyte/run). */
const EXPECTED: Record<string, number> = {
  'a-container-chain.yaml': WorkflowPhase.Succeeded,
  'b-branch.yaml': WorkflowPhase.Succeeded,
  'c-subworkflow.yaml': WorkflowPhase.Succeeded,
  'd-gates.yaml': WorkflowPhase.Succeeded,
  'e-array.yaml': WorkflowPhase.Succeeded,
  'f-on-failure.yaml': WorkflowPhase.Succeeded,
  'g-sensor.yaml': WorkflowPhase.Failed,
  'h-bindings-conditions.yaml': WorkflowPhase.Succeeded,
  'i-unsupported.yaml': WorkflowPhase.Failed,
  'j-retries.yaml': WorkflowPhase.Failed,
};

async function load(file: string): Promise<Obj> {
  if (fixtureFiles().includes(file)) return fixture(file);
  return parse(await readFile(join(RUN_DIR, file), 'utf8')) as Obj;
}

let root = '';
let count = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'flotilla-flyte-run-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function run(
  doc: Obj,
  signals: Record<string, boolean> = SIGNALS,
): Promise<{ result: FlyteRunResult; launches: ContainerLaunch[]; store: BlobStore; dir: string }> {
  const dir = join(root, `run-${++count}`);
  const store = await openBlobStore(dir);
  const launches: ContainerLaunch[] = [];
  const result = await runFlyteLocal({
    workflow: parseFlyteWorkflow(doc),
    store,
    signals,
    startAt: Date.parse('2025-03-04T10:00:00Z'),
    onLaunch: (l) => launches.push(l),
  });
  return { result, launches, store, dir };
}

function node(result: FlyteRunResult, id: string) {
  const ns = result.status.nodeStatus?.[id];
  assert.ok(ns, `no status for ${id} in ${JSON.stringify(Object.keys(result.status.nodeStatus ?? {}))}`);
  return ns;
}

describe('FlyteWorkflow fixtures run in-process', () => {
  test('every fixture has an expected phase', async () => {
    const all = [...fixtureFiles(), ...(await readdir(RUN_DIR)).filter((f) => f.endsWith('.yaml'))];
    assert.deepEqual(all.sort(), Object.keys(EXPECTED).sort());
  });

  for (const [file, phase] of Object.entries(EXPECTED)) {
    test(`${file} ends ${phase}; its container attempts wrote inputs.pb and outputs.pb or error.pb, rendered fully`, async () => {
      const { result, launches, store } = await run(await load(file));
      assert.equal(result.stalled, undefined);
      assert.equal(result.status.phase, phase, result.status.message);
      for (const launch of launches) {
        for (const text of [...launch.command, ...launch.args])
          assert.ok(!text.includes('{{'), `${launch.nodeId}: unresolved template in ${text}`);
        decodeLiteralMap(await store.get(launch.paths.inputs));
        const wrote =
          (await store.exists(launch.paths.outputs)) ||
          (await store.exists(launch.paths.error)) ||
          (await store.exists(launch.paths.futures));
        assert.ok(wrote, `${launch.nodeId}#${launch.attempt}: no result in ${launch.paths.outputDir}`);
        if (await store.exists(launch.paths.outputs)) decodeLiteralMap(await store.get(launch.paths.outputs));
      }
      // The projection keeps the engine state; reading it back gives the same state.
      const reread = engineStatusOf(JSON.parse(JSON.stringify(result.status)));
      assert.deepEqual(reread, result.engineStatus);
      assert.equal(completionLabels(result.status, Date.now())['termination-status'], 'terminated');
      await store.close();
    });
  }

  test('(a) chain: outputs, the workflow inputs and outputs documents, the node layout', async () => {
    const { result, launches, store } = await run(fixture('a-container-chain.yaml'));
    assert.deepEqual(result.outputs, { o0: { scalar: { primitive: { stringValue: 'demo.chain.report-o0' } } } });
    const inputs = decodeLiteralMap(await store.get(`${result.dataDir}/start-node/data/0/outputs.pb`));
    assert.deepEqual(inputs['url'], { scalar: { primitive: { stringValue: 'https://example.com/data.csv' } } });
    assert.equal(result.status.outputRef, `${result.dataDir}/end-node/data/0/outputs.pb`);
    const n0 = launches.find((l) => l.nodeId === 'n0');
    assert.equal(n0?.paths.inputs, `${result.dataDir}/n0/data/inputs.pb`);
    assert.deepEqual(decodeLiteralMap(await store.get(n0?.paths.inputs ?? '')), {
      url: { scalar: { primitive: { stringValue: 'https://example.com/data.csv' } } },
      limit: { scalar: { primitive: { integer: '25' } } },
    });
    // blob output under the raw output prefix from rawOutputDataConfig
    const n0out = decodeLiteralMap(await store.get(n0?.paths.outputs ?? ''));
    assert.match(JSON.stringify(n0out['o0']), /s3:\/\/flyte-data\/raw\//);
    assert.ok(n0?.args.includes(n0.paths.inputs));
    assert.equal(node(result, 'n2').phase, NodePhase.Succeeded);
    assert.equal(node(result, 'start-node').phase, NodePhase.Succeeded);
  });

  test('(b) branch: else taken for x=7, case nodes beside the branch with parentNode; other inputs take the other cases', async () => {
    const { result } = await run(fixture('b-branch.yaml'));
    assert.deepEqual(node(result, 'n0').branchStatus, { phase: 1, finalNodeId: 'n0-n2' });
    assert.equal(node(result, 'n0-n2').parentNode, 'n0');
    for (const [x, taken] of [
      ['500', 'n0-n0'],
      ['0', 'n0-n1'],
    ] as const) {
      const doc = fixture('b-branch.yaml');
      ((doc['inputs'] as Obj)['literals'] as Obj)['x'] = { scalar: { primitive: { integer: x } } };
      const r = (await run(doc)).result;
      assert.equal(r.status.phase, WorkflowPhase.Succeeded);
      assert.equal(node(r, 'n0').branchStatus?.finalNodeId, taken);
    }
  });

  test('(b) branch with elseFail and no match fails the branch node with its message', async () => {
    const doc = fixture('b-branch.yaml');
    const n0 = ((doc['spec'] as Obj)['nodes'] as Obj)['n0'] as { branch: Obj };
    delete n0.branch['else'];
    n0.branch['elseFail'] = { failed_node_id: 'n0', message: 'x must be positive' };
    const { result } = await run(doc);
    assert.equal(result.status.phase, WorkflowPhase.Failed);
    assert.equal(node(result, 'n0').phase, NodePhase.Failed);
    assert.match(node(result, 'n0').message ?? '', /x must be positive/);
  });

  test('(c) sub-workflow: nested subNodeStatus, its task data under the workflow node', async () => {
    const { result, launches } = await run(fixture('c-subworkflow.yaml'));
    assert.equal(node(result, 'n0').subNodeStatus?.['n0']?.phase, NodePhase.Succeeded);
    assert.equal(launches.find((l) => l.nodeId === 'n0/n0')?.paths.dataDir, `${result.dataDir}/n0/data/0/n0`);
    assert.deepEqual(result.outputs, { o0: { scalar: { primitive: { integer: '21' } } } });
  });

  test('(d) gates: signal value and approved inputs flow on; a rejection fails; a missing signal stalls', async () => {
    const ok = (await run(fixture('d-gates.yaml'))).result;
    assert.deepEqual(ok.outputs?.['live'], { scalar: { primitive: { boolean: true } } });
    assert.deepEqual(ok.outputs?.['artifact'], { scalar: { primitive: { stringValue: 'demo.gates.build-o0' } } });
    const rejected = (await run(fixture('d-gates.yaml'), { 'go-live': true, 'approve-artifact': false })).result;
    assert.equal(rejected.status.phase, WorkflowPhase.Failed);
    assert.match(node(rejected, 'n3').message ?? '', /rejected/);
    const waiting = (await run(fixture('d-gates.yaml'), {})).result;
    assert.match(waiting.stalled ?? '', /go-live/);
    assert.equal(waiting.status.phase, WorkflowPhase.Running);
  });

  test('(e) array: item data under the array node; minSuccessRatio tolerates one failed item of four; minSuccesses counts', async () => {
    const { result, launches } = await run(fixture('e-array.yaml'));
    assert.equal(
      launches.find((l) => l.nodeId === 'n0/2')?.paths.outputs,
      `${result.dataDir}/n0/data/0/2/0/outputs.pb`,
    );
    const doc = fixture('e-array.yaml');
    (doc['metadata'] as Obj)['annotations'] = {
      'flotilla.io/flyte-stand-in': JSON.stringify({ 'n0/1': { fail: { message: 'odd item' } } }),
    };
    const tolerated = (await run(doc)).result;
    assert.equal(tolerated.status.phase, WorkflowPhase.Succeeded);
    const items = tolerated.outputs?.['o0'] as { collection: { literals: unknown[] } };
    assert.deepEqual(items.collection.literals[1], { scalar: { noneType: {} } });
    const array = (((doc['spec'] as Obj)['nodes'] as Obj)['n0'] as Obj)['array'] as Obj;
    array['MinSuccessRatio'] = null;
    array['MinSuccesses'] = 4;
    const strict = (await run(doc)).result;
    assert.equal(strict.status.phase, WorkflowPhase.Failed);
    assert.match(node(strict, 'n0').message ?? '', /minSuccesses 4/);
  });

  test('(f) FAIL_AFTER_EXECUTABLE_NODES_COMPLETE: a failed load lets its sibling finish, then the failure node runs', async () => {
    const doc = fixture('f-on-failure.yaml');
    (doc['metadata'] as Obj)['annotations'] = {
      'flotilla.io/flyte-stand-in': JSON.stringify({ n0: { fail: { message: 'table a locked' } } }),
    };
    const { result } = await run(doc);
    assert.equal(result.status.phase, WorkflowPhase.Failed);
    assert.equal(node(result, 'n1').phase, NodePhase.Succeeded);
    assert.equal(node(result, 'fn0').phase, NodePhase.Succeeded);
    assert.match(result.status.message ?? '', /table a locked/);
    assert.equal(result.status.error?.['kind'], 'USER');
  });

  test('(g) and (i): unsupported task types and launch plans fail their node naming what is missing', async () => {
    const g = (await run(fixture('g-sensor.yaml'))).result;
    assert.match(node(g, 'n0').message ?? '', /task type "sensor" is not supported/);
    const i = (await run(await load('i-unsupported.yaml'))).result;
    const expected: Record<string, RegExp> = {
      n0: /launch plan demo\.child_lp .*not supported/,
      n1: /"container_array".*k8s array plugin/,
      n2: /copilot/,
      n3: /futures\.pb \(a dynamic task\)/,
      n4: /"bigquery_query_job_task" is not supported: it has a SQL statement/,
    };
    for (const [id, re] of Object.entries(expected)) {
      assert.equal(node(i, id).phase, NodePhase.Failed, id);
      assert.match(node(i, id).message ?? '', re, id);
    }
  });

  test('(j) retries: user and system failures counted apart, FAIL_IMMEDIATELY, the failure node', async () => {
    const { result, launches } = await run(await load('j-retries.yaml'));
    assert.equal(node(result, 'n0').phase, NodePhase.Succeeded);
    assert.equal(node(result, 'n0').attempts, 2);
    assert.equal(node(result, 'n1').systemFailures, 1);
    assert.equal(node(result, 'n2').phase, NodePhase.Failed);
    assert.equal(node(result, 'fn0').phase, NodePhase.Succeeded);
    assert.equal(result.engineStatus.nodes?.['n0']?.userFailures, 2);
    // the third attempt writes to data/2 and is handed the second attempt's checkpoints
    const third = launches.find((l) => l.nodeId === 'n0' && l.attempt === 3);
    assert.equal(third?.paths.outputDir, `${result.dataDir}/n0/data/2`);
    assert.ok(
      third?.args.includes(launches.find((l) => l.nodeId === 'n0' && l.attempt === 2)?.paths.checkpointPrefix ?? '?'),
    );
  });

  test('(h) bindings and conditions: collections, maps and unions of promises, aliases, a conjunction', async () => {
    const { result, launches, store } = await run(await load('h-bindings-conditions.yaml'));
    const n1 = launches.find((l) => l.nodeId === 'n1');
    const inputs = decodeLiteralMap(await store.get(n1?.paths.inputs ?? ''));
    assert.deepEqual(inputs['xs'], {
      collection: { literals: [7, 5, 7].map((n) => ({ scalar: { primitive: { integer: String(n) } } })) },
    });
    assert.deepEqual(inputs['m'], {
      map: {
        literals: {
          name: { scalar: { primitive: { stringValue: 'flyte' } } },
          fixed: { scalar: { primitive: { stringValue: 'x' } } },
        },
      },
    });
    assert.deepEqual((inputs['u'] as { scalar: { union: { value: unknown } } }).scalar.union.value, {
      scalar: { primitive: { integer: '7' } },
    });
    assert.deepEqual(node(result, 'n2').branchStatus, { phase: 1, finalNodeId: 'n2-n0' });
    assert.equal(n1?.args[1], '[7,5,7]');
    // 7 >= 4.5 fails once the count is lower: the else-fail message then ends the branch
    const doc = await load('h-bindings-conditions.yaml');
    ((doc['inputs'] as Obj)['literals'] as Obj)['a'] = { scalar: { primitive: { integer: '4' } } };
    const low = (await run(doc)).result;
    assert.equal(low.status.phase, WorkflowPhase.Failed);
    assert.match(node(low, 'n2').message ?? '', /no case matched for n/);
  });

  test('a workflow activeDeadlineSeconds past a sleep gate fails the workflow with the deadline', async () => {
    const doc = fixture('d-gates.yaml');
    doc['activeDeadlineSeconds'] = 10;
    const { result } = await run(doc);
    assert.equal(result.status.phase, WorkflowPhase.Failed);
    assert.equal(result.status.error?.['code'], 'ActiveDeadlineExceeded');
  });
});
