#!/usr/bin/env node
// Builds dist/ for the npm package (`prepack`) the way the Dockerfile does: tsc with
// tsconfig.build.json (src/ and shard-manager/, no sandbox/, no tests), then the runtime assets
// read beside the modules (e.g. src/events/sink/record.lua), and no compiled tests or source maps
// (the sources they point at are not shipped).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

function walk(dir, visit) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, visit);
    else visit(path);
  }
}
for (const tree of ['src', 'shard-manager']) {
  walk(join(root, tree), (path) => {
    if (path.endsWith('.ts')) return;
    const target = join(dist, path.slice(root.length));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(path, target);
  });
}
walk(dist, (path) => {
  if (/\.test\.js(\.map)?$/.test(path) || path.endsWith('.js.map')) rmSync(path);
});
// The console's page script, bundled once here (esbuild is a dev dependency; the package has no UI sources).
{
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'src/console/ui/main.ts')],
    outfile: join(dist, 'src/console/ui/app.js'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  walk(join(dist, 'src/console/ui'), (path) => {
    if (!path.endsWith('app.js') && !path.endsWith('.css')) rmSync(path);
  });
}
