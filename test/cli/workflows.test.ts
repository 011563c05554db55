/**
 * The cluster-side `flotilla` commands as real processes against the embedded API server (with
 * its simulated kubelet), a real Redis and one controller replica (static shard 0): `submit
 * --wait` exit codes, `get` in every output format, `--no-headers`, the namespace rules (flag >
 * kubeconfig context namespace > default), `logs` of a pod task, `watch`, `abort`, and the
 * unreachable-server message naming host and port.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import {
  spawnController,
  startControllerEnv,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import type { Workflow } from '../../src/api/workflow.js';

const execute = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let env: ControllerEnv;
let replica: ControllerProcessHandle;
let dir: string;
/** The test server's kubeconfig with `namespace: team-a` in its context. */
let teamKubeconfig: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function flotilla(args: string[], options: { kubeconfig?: string | null; input?: string } = {}): Promise<Result> {
  const kubeconfig = options.kubeconfig === undefined ? env.api.kubeconfigPath : options.kubeconfig;
  try {
    const { stdout, stderr } = await execute(
      process.execPath,
      [join(ROOT, 'bin/flotilla.mjs'), ...args, ...(kubeconfig !== null ? ['--kubeconfig', kubeconfig] : [])],
      {
        cwd: dir,
        timeout: 60_000,
        env: { ...process.env, KUBECONFIG: '' },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function workflowFile(name: string, spec: Record<string, unknown>, namespace?: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'flotilla.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name, ...(namespace ? { namespace } : {}), labels: { 'flotilla.io/shard': '0' } },
      spec,
    }),
  );
  return file;
}

const echoSpec = {
  tasks: { say: { plugin: 'echo' } },
  nodes: [{ id: 'greet', kind: 'task', task: 'say', inputs: { greeting: { value: 'hi' } } }],
};
const podSpec = (exitCode: number, log: string) => ({
  tasks: {
    work: {
      plugin: 'pod',
      pod: {
        image: 'busybox',
        command: ['run'],
        annotations: {
          'flotilla.io/sim-duration': '300ms',
          'flotilla.io/sim-exit-code': String(exitCode),
          'flotilla.io/sim-message': '{"ok":true}',
          'flotilla.io/sim-log': log,
        },
      },
    },
  },
  nodes: [
    { id: 'first', kind: 'task', task: 'work' },
    { id: 'second', kind: 'task', task: 'work', dependsOn: ['first'] },
  ],
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-'));
  env = await startControllerEnv();
  for (const name of ['team-a', 'other']) await env.core.createNamespace({ body: { metadata: { name } } });
  const config = parse(readFileSync(env.api.kubeconfigPath, 'utf8')) as {
    contexts: { context: Record<string, string> }[];
  };
  for (const c of config.contexts) c.context['namespace'] = 'team-a';
  teamKubeconfig = join(dir, 'team-kubeconfig');
  writeFileSync(teamKubeconfig, stringify(config));
  replica = await spawnController({ id: 'r0', kubeconfig: env.api.kubeconfigPath, redisUrl: env.redis.url });
});

after(async () => {
  await replica?.stop();
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('flotilla submit', () => {
  test('--wait exits 0 when the workflow succeeds, with progress lines when piped', async () => {
    const result = await flotilla(['submit', workflowFile('ok', echoSpec), '--wait', '--timeout', '60s']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'workflow.flotilla.io/ok created\n');
    assert.match(result.stderr, /^default\/ok: Succeeded 1\/1 /m);
    assert.ok(!result.stderr.includes('\u001b'), 'no terminal control sequences when piped');
  });

  test('--wait exits 1 when a task fails, naming the workflow and its phase', async () => {
    const result = await flotilla([
      'submit',
      workflowFile('broken', podSpec(3, 'about to fail')),
      '--wait',
      '--timeout',
      '60s',
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /did not succeed:\n {2}default\/broken: Failed/);
  });

  test('bad input exits 2: a missing file, an invalid Workflow, -n against the file', async () => {
    assert.equal((await flotilla(['submit', join(dir, 'nope.yaml')])).code, 2);
    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(
      invalid,
      stringify({ apiVersion: 'flotilla.io/v1alpha1', kind: 'Workflow', metadata: { name: 'x' }, spec: { nodes: [] } }),
    );
    const refused = await flotilla(['submit', invalid]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /is not a valid Workflow/);
    const mismatch = await flotilla(['submit', workflowFile('elsewhere', echoSpec, 'other'), '-n', 'team-a']);
    assert.equal(mismatch.code, 2, mismatch.stderr);
    assert.match(mismatch.stderr, /does not match the namespace given with -n/);
  });
});

describe('flotilla get', () => {
  test('lists borderless, with -o wide, name, yaml and --no-headers', async () => {
    const table = await flotilla(['get']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.deepEqual(lines[0]?.split(/ {3,}/), ['NAME', 'PHASE', 'PROGRESS', 'SHARD', 'AGE', 'MESSAGE']);
    const ok = lines.find((l) => l.startsWith('ok '))?.split(/ {3,}/);
    assert.deepEqual(ok?.slice(0, 4), ['ok', 'Succeeded', '1/1', '0']);
    assert.match(ok?.[4] ?? '', /^\d+s$/);
    assert.doesNotMatch(table.stdout, /[│┌─]/);
    const wide = await flotilla(['get', '-o', 'wide']);
    assert.deepEqual(wide.stdout.split('\n')[0]?.split(/ {3,}/), [
      'NAME',
      'PHASE',
      'PROGRESS',
      'SHARD',
      'AGE',
      'DURATION',
      'NODES',
      'MESSAGE',
    ]);
    const names = await flotilla(['get', 'wf', '-o', 'name']);
    assert.deepEqual(names.stdout.trim().split('\n'), ['workflow.flotilla.io/broken', 'workflow.flotilla.io/ok']);
    const yaml = await flotilla(['get', '-o', 'yaml']);
    const list = parse(yaml.stdout) as { kind: string; items: Workflow[] };
    assert.equal(list.kind, 'List');
    assert.deepEqual(
      list.items.map((wf) => [wf.metadata.name, wf.status?.phase]),
      [
        ['broken', 'Failed'],
        ['ok', 'Succeeded'],
      ],
    );
    const bare = await flotilla(['get', '--no-headers']);
    assert.deepEqual(
      bare.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]),
      ['broken', 'ok'],
    );
  });

  test('one workflow: its fields and a tree of node phases; -o yaml is the object', async () => {
    const one = await flotilla(['get', 'wf', 'broken']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^Phase: +Failed$/m);
    assert.match(one.stdout, /^NODE {3,}PHASE {3,}KIND {3,}ATTEMPTS {3,}AGE {3,}MESSAGE$/m);
    assert.match(one.stdout, /^├─ first {3,}Failed {3,}task {3,}1 /m);
    assert.match(one.stdout, /^└─ second {3,}Skipped {3,}task /m);
    const yaml = parse((await flotilla(['get', 'workflow/ok', '-o', 'yaml'])).stdout) as Workflow;
    assert.equal(yaml.metadata.name, 'ok');
    assert.equal(yaml.status?.phase, 'Succeeded');
    const missing = await flotilla(['get', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NotFound/);
  });

  test('namespace: -n, else the kubeconfig context namespace, else default', async () => {
    // Into team-a by the context's namespace (the file names none).
    const submitted = await flotilla(['submit', workflowFile('team-wf', echoSpec), '-o', 'yaml'], {
      kubeconfig: teamKubeconfig,
    });
    assert.equal(submitted.code, 0, submitted.stderr);
    assert.equal(
      (parseAllDocuments(submitted.stdout)[0]?.toJS() as { items: Workflow[] }).items[0]?.metadata.namespace,
      'team-a',
    );
    const byContext = await flotilla(['get', '-o', 'name'], { kubeconfig: teamKubeconfig });
    assert.equal(byContext.stdout, 'workflow.flotilla.io/team-wf\n');
    const byFlag = await flotilla(['get', '-o', 'name', '-n', 'default'], { kubeconfig: teamKubeconfig });
    assert.deepEqual(byFlag.stdout.trim().split('\n'), ['workflow.flotilla.io/broken', 'workflow.flotilla.io/ok']);
    const byDefault = await flotilla(['get', '-o', 'name']);
    assert.doesNotMatch(byDefault.stdout, /team-wf/);
    const none = await flotilla(['get', '-n', 'other']);
    assert.deepEqual([none.code, none.stdout, none.stderr], [0, '', 'No resources found in other namespace.\n']);
    const all = await flotilla(['get', '-A']);
    assert.match(all.stdout, /^NAMESPACE {3}NAME {3,}PHASE/m);
    assert.match(all.stdout, /^team-a {3,}team-wf {3,}Succeeded/m);
  });
});

describe('flotilla logs, watch, abort', () => {
  test('logs prints the task pod log through the API server while the workflow runs', async () => {
    const spec = podSpec(0, 'line one\nline two');
    const slow = {
      ...spec,
      tasks: {
        ...spec.tasks,
        slow: {
          plugin: 'pod',
          pod: {
            image: 'busybox',
            command: ['run'],
            annotations: { 'flotilla.io/sim-duration': '60s', 'flotilla.io/sim-log': 'still working' },
          },
        },
      },
    };
    slow.nodes = [...spec.nodes, { id: 'third', kind: 'task', task: 'slow', dependsOn: ['second'] }];
    const submitted = await flotilla(['submit', workflowFile('pods', slow)]);
    assert.equal(submitted.code, 0, submitted.stderr);
    let running: Result | undefined;
    await waitFor(async () => (running = await flotilla(['logs', 'pods', 'third'])).code === 0, {
      what: 'the third task to run',
      timeoutMs: 30_000,
    });
    assert.match(running?.stdout ?? '', /^\[simulated kubelet\] container task started at .*\nstill working\n$/);
    const finished = await flotilla(['logs', 'pods', 'second']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.match(finished.stdout, /^line one\nline two$/m);
    assert.match(finished.stdout, /exited with code 0 \(Completed\)/);
    const all = await flotilla(['logs', 'pods']);
    assert.match(all.stdout, /==> first \(pod pods-first-1, attempt 1\) <==\n/);
    assert.match(all.stdout, /==> third \(pod pods-third-1, attempt 1\) <==\n/);
    const unknown = await flotilla(['logs', 'pods', 'fourth']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no pod for node 'fourth' \(nodes with pods: first, second, third\)/);
    assert.equal((await flotilla(['abort', 'pods'])).code, 0);
  });

  test('logs of an ended workflow says its pods were collected', async () => {
    await waitFor(async () => (await flotilla(['logs', 'broken'])).code === 1, {
      what: 'pods of broken collected',
      timeoutMs: 30_000,
    });
    const gone = await flotilla(['logs', 'broken']);
    assert.match(gone.stderr, /is Failed and has no task pods left: the controller deletes them when a workflow ends/);
  });

  test('watch exits with the phase: 0 Succeeded, 1 Failed', async () => {
    const ok = await flotilla(['watch', 'ok']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Phase: +Succeeded$/m);
    const failed = await flotilla(['watch', 'broken']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /default\/broken: Failed/);
  });

  test('abort deletes the workflow', async () => {
    const started = await flotilla([
      'submit',
      workflowFile('long', {
        tasks: { nap: { plugin: 'sleep', config: { duration: '10m' } } },
        nodes: [{ id: 'nap', kind: 'task', task: 'nap' }],
      }),
      '-o',
      'name',
    ]);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(started.stdout, 'workflow.flotilla.io/long\n', '-o name prints the bare name, as kubectl');
    const aborted = await flotilla(['abort', 'long']);
    assert.equal(aborted.code, 0, aborted.stderr);
    assert.equal(aborted.stdout, 'workflow.flotilla.io/long aborted\n');
    const again = await flotilla(['abort', 'long']);
    assert.equal(again.code, 1);
  });
});

describe('an unreachable API server', () => {
  test('every cluster-side command names the host and port', async () => {
    const port = await freePort();
    const kubeconfig = join(dir, 'unreachable');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: x',
        `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]`,
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        '',
      ].join('\n'),
    );
    const file = workflowFile('unsent', echoSpec);
    const refused = new RegExp(`connection refused \\(ECONNREFUSED\\).* 127\\.0\\.0\\.1:${port}`);
    for (const args of [
      ['get'],
      ['get', 'ok'],
      ['get', '-w'],
      ['submit', file, '--wait'],
      ['watch', 'ok'],
      ['logs', 'ok'],
      ['abort', 'ok'],
    ]) {
      const result = await flotilla(args, { kubeconfig });
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, refused, args.join(' '));
    }
    const watch = await execute(
      process.execPath,
      [join(ROOT, 'bin/shardctl.mjs'), '--kubeconfig', kubeconfig, 'status', '--watch'],
      { timeout: 30_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
    );
    assert.equal(watch.code, 1, watch.stderr);
    assert.match(watch.stderr, refused, 'shardctl status --watch');
  });
});
