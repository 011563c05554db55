/** `flotilla run` with a FlyteWorkflow, as a real process: phase and outputs printed, exit codes. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/flotilla.mjs');

function flotilla(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('flotilla run FILE (a FlyteWorkflow)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-run-flyte-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a succeeding FlyteWorkflow: Flyte phase and outputs, data in --blob-store, exit 0', async () => {
    const store = join(dir, 'blobs');
    const r = await flotilla([
      'run',
      'test/fixtures/flyte/c-subworkflow.yaml',
      '--blob-store',
      store,
      '--inputs',
      '{"a": 4}',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = YAML.parse(r.stdout) as {
      phase: number;
      phaseName: string;
      outputs: unknown;
      status: { nodeStatus: Record<string, unknown>; flotilla?: unknown };
    };
    assert.equal(report.phase, 3);
    assert.equal(report.phaseName, 'Succeeded');
    assert.deepEqual(report.outputs, { o0: { scalar: { primitive: { integer: '4' } } } });
    assert.equal(report.status.flotilla, undefined);
    assert.ok(existsSync(join(store, 'metadata/flytesnacks-development-fc3subwf6t9v2y4z/n1/data/0/outputs.pb')));
  });

  test('signals reach gates; an unsupported task type fails with exit 1 naming it', async () => {
    const gates = await flotilla([
      'run',
      'test/fixtures/flyte/d-gates.yaml',
      '-o',
      'json',
      '--signal',
      'go-live=true',
      '--signal',
      'approve-artifact=true',
    ]);
    assert.equal(gates.code, 0, gates.stderr);
    assert.equal((JSON.parse(gates.stdout) as { phase: number }).phase, 3);
    const sensor = await flotilla(['run', 'test/fixtures/flyte/g-sensor.yaml']);
    assert.equal(sensor.code, 1);
    assert.match(sensor.stderr, /task type "sensor" is not supported/);
  });

  test('an invalid FlyteWorkflow: every problem with its path, exit 2', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      YAML.stringify({
        apiVersion: 'flyte.lyft.com/v1alpha1',
        kind: 'FlyteWorkflow',
        metadata: { name: 'x' },
        executionId: {},
        tasks: {},
        spec: { id: 'p:d:w', nodes: { 'start-node': { id: 'start-node', kind: 'start' } } },
      }),
    );
    const r = await flotilla(['run', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a valid FlyteWorkflow/);
    assert.match(r.stderr, /spec\.nodes/);
  });
});
