import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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

describe('flotilla run (a real process)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-run-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a succeeding workflow: exit 0, YAML status by default, --inputs merged', async () => {
    const r = await flotilla(['run', 'examples/hello.yaml', '--inputs', '{"who": "tests"}']);
    assert.equal(r.code, 0, r.stderr);
    const status = YAML.parse(r.stdout) as {
      phase: string;
      outputs: unknown;
      nodes: Record<string, { outputs: Record<string, unknown> }>;
    };
    assert.equal(status.phase, 'Succeeded');
    assert.deepEqual(status.outputs, { greeting: 'hello, flotilla' });
    assert.equal(status.nodes['greet']?.outputs['who'], 'tests');
  });

  test('-o json, signals given, and a virtual clock over a 10 minute sleep', async () => {
    const r = await flotilla([
      'run',
      'examples/gates.yaml',
      '-o',
      'json',
      '--signal',
      'threshold=0.75',
      '--signal',
      'release=true',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as { phase: string; outputs: unknown };
    assert.equal(status.phase, 'Succeeded');
    assert.deepEqual(status.outputs, { threshold: 0.75, decision: 'ship' });
  });

  test('a gate without its signal ends the run with a clear message, exit 1', async () => {
    const r = await flotilla(['run', 'examples/gates.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /gate threshold waits for signal threshold: pass --signal threshold=\.\.\./);
  });

  test('a failing workflow: exit 1, status still printed', async () => {
    const r = await flotilla(['run', 'examples/fail-fast.yaml', '-o', 'json']);
    assert.equal(r.code, 1);
    assert.equal((JSON.parse(r.stdout) as { phase: string }).phase, 'Failed');
  });

  test('an invalid workflow: exit 2, every issue as path: message', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      YAML.stringify({
        apiVersion: 'flotilla.io/v1alpha1',
        kind: 'Workflow',
        metadata: { name: 'bad' },
        spec: {
          tasks: { e: { plugin: 'echo' } },
          nodes: [
            { id: 'a', kind: 'task', task: 'nope' },
            { id: 'b', kind: 'task', task: 'e', dependsOn: ['zz'] },
          ],
        },
      }),
    );
    const r = await flotilla(['run', file]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^spec\.nodes\[0\]\.task: /m);
    assert.match(r.stderr, /^spec\.nodes\[1\]\.dependsOn(\[0\])?: /m);
  });

  test('usage errors exit 2', async () => {
    const missing = await flotilla(['run', join(dir, 'missing.yaml')]);
    assert.equal(missing.code, 2);
    const badFormat = await flotilla(['run', 'examples/hello.yaml', '-o', 'xml']);
    assert.equal(badFormat.code, 2);
    const badInputs = await flotilla(['run', 'examples/hello.yaml', '--inputs', '{nope']);
    assert.equal(badInputs.code, 2);
  });
});
