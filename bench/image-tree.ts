/**
 * A directory laid out as the image's runtime stage (`Dockerfile`): `bin/`, `package.json`, the
 * build output `dist/` (from `npm run build:dist`) and a node_modules whose slimmed packages
 * (`scripts/slim-deps.mjs`) are minified copies — the rest are links to the checkout's packages —
 * and no `src/`, started with the image's environment (`IMAGE_ENV`). Docker cannot run here; this
 * is what lets the memory bench measure a replica as the image runs it.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './controller-proc.js';

/** The runtime stage's `ENV` besides `NODE_ENV`: kept equal to the Dockerfile's by `test/chart/image.test.ts`. */
export const IMAGE_ENV = { FLOTILLA_USE_DIST: '1', MALLOC_ARENA_MAX: '2' } as const;

interface SlimModule {
  SLIMMED_PACKAGES: string[];
  slimDeps(nodeModules: string): Promise<{ before: number; after: number; files: number }>;
}

/** Builds the tree in `dir` (which must be empty or absent); returns `dir`. */
export async function buildImageTree(dir: string): Promise<string> {
  if (!existsSync(join(ROOT, 'dist/src/cli/flotilla.js')))
    throw new Error('the image tree needs the build output: run `npm run build:dist` first');
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  // Copied, not linked: Node resolves a module's imports from its real path.
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  await slimNodeModules(join(dir, 'node_modules'));
  return dir;
}

/**
 * A node_modules at `target` as the image ships it: the slimmed packages as minified copies, every
 * other package a link to the checkout's (dev dependencies included: the image leaves them out,
 * `test/chart/image.test.ts` checks the build imports none).
 */
export async function slimNodeModules(target: string): Promise<void> {
  const slim = (await import(join(ROOT, 'scripts/slim-deps.mjs'))) as SlimModule;
  const copied = new Set(slim.SLIMMED_PACKAGES);
  const scopes = new Set([...copied].filter((p) => p.startsWith('@')).map((p) => p.split('/')[0] as string));
  const from = join(ROOT, 'node_modules');
  mkdirSync(target, { recursive: true });
  for (const name of readdirSync(from)) {
    if (name === '.bin' || name === '.package-lock.json') continue;
    if (scopes.has(name)) {
      mkdirSync(join(target, name));
      for (const pkg of readdirSync(join(from, name))) place(`${name}/${pkg}`);
    } else place(name);
  }
  function place(pkg: string): void {
    if (copied.has(pkg)) cpSync(join(from, pkg), join(target, pkg), { recursive: true });
    else symlinkSync(join(from, pkg), join(target, pkg), 'dir');
  }
  await slim.slimDeps(target);
}

/** `npm run build:dist` (tsc and the assets), as the image's build stage does. */
export async function buildDist(): Promise<void> {
  const { spawn } = await import('node:child_process');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/build-dist.mjs')], { cwd: ROOT, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`scripts/build-dist.mjs exited with ${String(code)}`);
}
