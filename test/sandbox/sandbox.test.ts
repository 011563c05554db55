/**
 * `flotilla sandbox --no-fleet` (the API server alone) as a real process: it comes up, writes a
 * kubeconfig kubectl can use (with the simulated kubelet running pods), serves the console at
 * sandbox.json's `console.url`, and stops with exit 0 and
 * no child left on SIGINT or after `--duration`. The whole fleet is in fleet.test.ts.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kubectl } from '../support/kubectl.js';
import { waitFor } from '../support/wait.js';
import type { SandboxState } from '../../sandbox/state.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin', 'flotilla.mjs');

interface Run {
  child: ChildProcess;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runSandbox(args: string[], cwd: string): Run {
  const child = spawn(process.execPath, [bin, 'sandbox', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  return { child, output: () => out, exit };
}

/** Every descendant pid of `pid` (through `ps`). */
function descendants(pid: number): number[] {
  const ps = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map<number, number[]>();
  for (const line of ps.stdout.split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (p === undefined || pp === undefined || Number.isNaN(p)) continue;
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    for (const c of children.get(stack.pop() as number) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('flotilla sandbox --no-fleet', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'flotilla-sandbox-'));
  const running: Run[] = [];
  after(async () => {
    for (const run of running) {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill('SIGKILL');
        await run.exit;
      }
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  test('comes up, kubectl works with its kubeconfig, pods run, SIGINT stops it with exit 0 and no child left', async () => {
    const stateDir = join(cwd, 'state-a');
    const run = runSandbox(['--port', '0', '--state-dir', stateDir, '--no-ui', '--no-fleet', '--duration', '120'], cwd);
    running.push(run);
    await waitFor(() => run.output().includes('flotilla sandbox is up'), {
      what: `the banner in: ${run.output()}`,
      timeoutMs: 30_000,
    });
    const kubeconfig = join(stateDir, 'kubeconfig');
    assert.ok(existsSync(kubeconfig));
    assert.ok(existsSync(join(stateDir, 'apiserver')));
    assert.match(run.output(), /kubectl --kubeconfig \S*kubeconfig get wf -A/);

    // The console: its URL in sandbox.json as console.url and in the banner (with the action token).
    const state = JSON.parse(readFileSync(join(stateDir, 'sandbox.json'), 'utf8')) as SandboxState;
    const consoleUrl = state.console?.url ?? '';
    assert.match(consoleUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const token = readFileSync(state.console?.tokenFile ?? '', 'utf8').trim();
    assert.equal(statSync(state.console?.tokenFile ?? '').mode & 0o077, 0, 'the token file is private');
    assert.ok(run.output().includes(`console     ${consoleUrl}#token=${token}`), run.output());
    const page = await fetch(consoleUrl);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/assets\/app\.js"><\/script>/);
    assert.equal((await fetch(`${consoleUrl}assets/app.js`)).status, 200);

    const ns = await kubectl(kubeconfig, ['get', 'ns', '-o', 'name']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.match(ns.stdout, /^namespace\/default$/m);
    const made = await kubectl(kubeconfig, [
      'run',
      'demo',
      '--image=busybox',
      '--restart=Never',
      '--annotations=flotilla.io/sim-duration=200ms',
    ]);
    assert.equal(made.code, 0, made.stderr);
    await waitFor(
      async () =>
        (await kubectl(kubeconfig, ['get', 'pod', 'demo', '-o', 'jsonpath={.status.phase}'])).stdout === 'Succeeded',
      { what: 'the demo pod to succeed', timeoutMs: 20_000 },
    );

    const pid = run.child.pid as number;
    const family = descendants(pid);
    run.child.kill('SIGINT');
    const { code, signal } = await run.exit;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, run.output());
    assert.match(run.output(), /sandbox stopped/);
    await waitFor(() => family.every((p) => !alive(p)), {
      what: `children ${family.join(',')} to be gone`,
      timeoutMs: 5_000,
    });
  });

  test('restarted on the same state dir, the objects are still there; --duration ends it with exit 0', async () => {
    const stateDir = join(cwd, 'state-b');
    const first = runSandbox(['--state-dir', stateDir, '--no-ui', '--no-fleet'], cwd);
    running.push(first);
    await waitFor(() => first.output().includes('flotilla sandbox is up'), {
      what: 'the first banner',
      timeoutMs: 30_000,
    });
    const kubeconfig = join(stateDir, 'kubeconfig');
    const created = await kubectl(kubeconfig, ['create', 'configmap', 'remember-me', '--from-literal=a=b']);
    assert.equal(created.code, 0, created.stderr);
    first.child.kill('SIGTERM');
    assert.equal((await first.exit).code, 0, first.output());

    const second = runSandbox(['--state-dir', stateDir, '--no-ui', '--no-fleet', '--duration', '4'], cwd);
    running.push(second);
    await waitFor(() => second.output().includes('flotilla sandbox is up'), {
      what: 'the second banner',
      timeoutMs: 30_000,
    });
    const got = await kubectl(kubeconfig, ['get', 'configmap', 'remember-me', '-o', 'jsonpath={.data.a}']);
    assert.equal(got.stdout, 'b', got.stderr);
    const { code } = await second.exit;
    assert.equal(code, 0, second.output());
  });

  test('bad flags exit 2', async () => {
    const run = runSandbox(['--port', 'nope'], cwd);
    running.push(run);
    assert.equal((await run.exit).code, 2);
    assert.match(run.output(), /invalid --port nope/);
  });
});
