/**
 * What the Dockerfile's runtime stage holds works: the sources compiled with tsconfig.build.json
 * (as `npm run build` does) plus the non-TypeScript assets it copies, `bin/`, `package.json` and
 * node_modules with the slimmed packages minified (`scripts/slim-deps.mjs`, as the Dockerfile's
 * `slim` stage) — and no `src/` — start `flotilla` and `shardctl` through the image's entrypoint
 * (`FLOTILLA_USE_DIST=1 node bin/flotilla.mjs`), and a controller from it runs a Workflow to the
 * end against the embedded API server and a real Redis. The compiled code imports no dev
 * dependency. (Docker itself cannot run here.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IMAGE_ENV, slimNodeModules } from '../../bench/image-tree.js';
import { spawnController, startControllerEnv, submit, waitTerminal, workflow } from '../support/controller.js';
import { repoRoot } from './helm.js';

function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('image contents (Dockerfile runtime stage)', () => {
  let image: string;
  before(async () => {
    image = mkdtempSync(join(tmpdir(), 'flotilla-image-'));
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
    // Emits even when files other engineers are editing have type errors; the runtime check below
    // is what matters here.
    await run(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--outDir', join(image, 'dist')],
      repoRoot,
      {},
      240_000,
    );
    // The Dockerfile's asset copy: every non-TypeScript file under src/ and shard-manager/.
    for (const root of ['src', 'shard-manager']) {
      for (const f of walk(join(repoRoot, root)).filter((p) => !p.endsWith('.ts')))
        cpSync(f, join(image, 'dist', relative(repoRoot, f)));
    }
    cpSync(join(repoRoot, 'bin'), join(image, 'bin'), { recursive: true });
    cpSync(join(repoRoot, 'package.json'), join(image, 'package.json'));
    await slimNodeModules(join(image, 'node_modules'));
  });
  after(() => {
    rmSync(image, { recursive: true, force: true });
  });

  test('the Dockerfile copies bin/, dist/ and production node_modules and runs tini → flotilla as uid 10001', () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /COPY --from=build [^\n]*\/app\/dist \.\/dist/);
    assert.match(dockerfile, /COPY [^\n]*bin \.\/bin/);
    assert.match(dockerfile, /USER 10001:10001/);
    assert.match(dockerfile, /ENTRYPOINT \["tini", "--", "node", "bin\/flotilla\.mjs"\]/);
    for (const [name, value] of Object.entries(IMAGE_ENV))
      assert.match(dockerfile, new RegExp(`\\b${name}=${value}\\b`), `ENV ${name}=${value} (bench/image-tree.ts)`);
    assert.match(dockerfile, /RUN node scripts\/slim-deps\.mjs runtime_modules/);
    assert.match(dockerfile, /COPY --from=slim [^\n]*\/app\/runtime_modules \.\/node_modules/);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(runtime, /AS runtime/);
    assert.doesNotMatch(runtime, /COPY[^\n]*\bsrc\b/, 'src/ is not in the runtime stage');
  });

  test('every stage builds on a supported Node LTS (22 or 24, bookworm-slim) and every file it copies exists', () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    const version = /^ARG NODE_VERSION=(\S+)$/m.exec(dockerfile)?.[1];
    assert.ok(version !== undefined, 'ARG NODE_VERSION');
    assert.match(version, /^(22|24)(\.\d+){0,2}$/, `NODE_VERSION ${version} is not Node 22 or 24`);
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    assert.ok(froms.length >= 3);
    const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)/gm)].map((m) => m[1]);
    for (const from of froms)
      assert.ok(from === 'node:${NODE_VERSION}-bookworm-slim' || stages.includes(from), `FROM ${String(from)}`);
    // COPY from the build context (not --from=<stage>): every source must exist in a checkout.
    const sources = [...dockerfile.matchAll(/^COPY (?!.*--from=)(.*)$/gm)].flatMap((m) => {
      const words = (m[1] ?? '').split(/\s+/).filter((w) => w !== '' && !w.startsWith('--'));
      return words.slice(0, -1);
    });
    assert.ok(sources.includes('package.json') && sources.includes('src'), sources.join(' '));
    assert.deepEqual(
      sources.filter((s) => !existsSync(join(repoRoot, s))),
      [],
    );
    // ...and none is left out of the build context by .dockerignore (a top-level exclusion needs
    // a `!path` re-inclusion of the file or a folder above it).
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const excluded = sources.filter((s) => {
      const parts = s.split('/');
      const ignoredAt = parts.findIndex((_, i) => ignore.includes(parts.slice(0, i + 1).join('/')));
      if (ignoredAt < 0) return false;
      return !parts.some((_, i) => i >= ignoredAt && ignore.includes(`!${parts.slice(0, i + 1).join('/')}`));
    });
    assert.deepEqual(excluded, [], 'COPY sources excluded by .dockerignore');
  });

  test('flotilla --help and shardctl --help run from dist/ without src/', async () => {
    assert.equal(existsSync(join(image, 'src')), false);
    assert.ok(existsSync(join(image, 'dist/src/cli/flotilla.js')), 'compiled CLI');
    assert.ok(existsSync(join(image, 'dist/src/events/sink/record.lua')), 'Lua asset copied');
    const flotilla = await run(process.execPath, ['bin/flotilla.mjs', '--help'], image, { FLOTILLA_USE_DIST: '1' });
    assert.equal(flotilla.code, 0, flotilla.stderr);
    for (const cmd of ['event-sink', 'run', 'signal']) assert.match(flotilla.stdout, new RegExp(`\\b${cmd}\\b`));
    const shardctl = await run(process.execPath, ['bin/shardctl.mjs', '--help'], image, { FLOTILLA_USE_DIST: '1' });
    assert.equal(shardctl.code, 0, shardctl.stderr);
    assert.match(shardctl.stdout, /status/);
  });

  test('the slimmed client-node is minified and exports what the original does', async () => {
    const slimmed = join(image, 'node_modules/@kubernetes/client-node');
    const original = join(repoRoot, 'node_modules/@kubernetes/client-node');
    const size = (dir: string): number =>
      walk(join(dir, 'dist'))
        .filter((f) => f.endsWith('.js'))
        .reduce((acc, f) => acc + statSync(f).size, 0);
    assert.ok(size(slimmed) < size(original) / 2, `${size(slimmed)} bytes of JavaScript against ${size(original)}`);
    assert.equal(walk(slimmed).filter((f) => f.endsWith('.map') || f.endsWith('.d.ts')).length, 0);
    const slim = (await import(pathToFileURL(join(slimmed, 'dist/index.js')).href)) as Record<string, unknown>;
    const full = (await import('@kubernetes/client-node')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(slim).sort(), Object.keys(full).sort());
    // Names survive (nothing is renamed): the serializer and error messages rely on them.
    const names = (m: Record<string, unknown>): string[] =>
      Object.keys(m)
        .sort()
        .map((k) => `${k}:${typeof m[k] === 'function' ? (m[k] as { name: string }).name : typeof m[k]}`);
    assert.deepEqual(names(slim), names(full));
  });

  test('a controller from the image tree runs a Workflow of pod and echo tasks to Succeeded', async () => {
    const env = await startControllerEnv();
    const controller = await spawnController({
      id: 'image-tree',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      root: image,
      env: { ...IMAGE_ENV },
      args: ['--shard-count', '1'],
      readyTimeoutMs: 60_000,
    });
    try {
      await submit(
        env,
        workflow('from-image', {
          tasks: {
            run: {
              plugin: 'pod',
              pod: { image: 'busybox', command: ['run'], annotations: { 'flotilla.io/sim-duration': '100ms' } },
            },
            echo: { plugin: 'echo' },
          },
          nodes: [
            { id: 'a', kind: 'task', task: 'run' },
            { id: 'b', kind: 'task', task: 'echo', dependsOn: ['a'], inputs: { v: { value: 1 } } },
          ],
        }),
      );
      const done = await waitTerminal(env, 'from-image', 60_000);
      assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    } finally {
      await controller.stop();
      await env.stop();
    }
  });

  test('the build carries nothing of the sandbox: no embedded API server, kubelet or local fleet, and no sandbox commands', async () => {
    const files = walk(join(image, 'dist')).map((f) => relative(join(image, 'dist'), f));
    assert.deepEqual(
      files.filter((f) => /(^|\/)(sandbox|apiserver|kubelet)(\/|\.)/.test(f)),
      [],
    );
    const importsSandbox = files.filter(
      (f) =>
        f.endsWith('.js') &&
        /(?:from\s+|import\()\s*['"][^'"]*\/sandbox\//.test(readFileSync(join(image, 'dist', f), 'utf8')),
    );
    assert.deepEqual(importsSandbox, []);
    const help = await run(process.execPath, ['bin/flotilla.mjs', '--help'], image, { FLOTILLA_USE_DIST: '1' });
    assert.doesNotMatch(help.stdout, /^\s+(sandbox|apiserver)\b/m);
    assert.match(help.stdout, /^\s+controller\b/m);
  });

  test('the compiled code imports no dev dependency (npm ci --omit=dev leaves them out)', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      devDependencies?: Record<string, string>;
    };
    const dev = Object.keys(pkg.devDependencies ?? {});
    const offenders: string[] = [];
    for (const f of walk(join(image, 'dist')).filter((p) => p.endsWith('.js'))) {
      const text = readFileSync(f, 'utf8');
      for (const d of dev) {
        const re = new RegExp(`(?:from\\s+|import\\()\\s*['"]${d.replace(/[/.]/g, '\\$&')}(?:/[^'"]*)?['"]`);
        if (re.test(text)) offenders.push(`${relative(image, f)} → ${d}`);
      }
    }
    assert.deepEqual(offenders, []);
  });
});
