#!/usr/bin/env node
// Shrinks the production node_modules the image ships: `node scripts/slim-deps.mjs <node_modules>`.
//
// Why: V8 keeps every loaded module's source text in the heap (functions compile lazily from it).
// @kubernetes/client-node's index loads its whole generated API surface, 21 MB of JavaScript that
// is mostly doc comments and indentation, so a replica held ≈ 21 MB of source it never reads.
// Each of the packages below has its JavaScript rewritten by esbuild with whitespace and syntax
// minification only: no bundling, no renamed identifiers (class and function names are kept, so
// `name`-based code still works), one file in, one file out, module format unchanged. Source
// maps and type declarations of those packages go too (nothing reads them at run time).
// The Dockerfile runs this on the runtime stage's node_modules; `bench/memory.ts --mode image` and
// `test/chart/image.test.ts` run it on a copy of the checkout's (`bench/image-tree.ts`). The packages'
// license files stay.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Packages whose loaded source is large enough to matter (measured: `bench/results`, issue 18). */
export const SLIMMED_PACKAGES = ['@kubernetes/client-node'];

function walk(dir, visit) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, visit);
    else visit(path);
  }
}

/**
 * Minifies the JavaScript of `SLIMMED_PACKAGES` under `nodeModules` in place.
 * @returns bytes of JavaScript before and after, and the files rewritten.
 */
export async function slimDeps(nodeModules, packages = SLIMMED_PACKAGES) {
  const { transform } = await import('esbuild');
  let before = 0;
  let after = 0;
  let files = 0;
  for (const pkg of packages) {
    const root = join(nodeModules, pkg);
    const type = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).type;
    const paths = [];
    walk(root, (path) => {
      if (path.endsWith('.js.map') || path.endsWith('.d.ts') || path.endsWith('.d.ts.map')) rmSync(path);
      else if (/\.(c|m)?js$/.test(path)) paths.push(path);
    });
    for (const path of paths) {
      const source = readFileSync(path, 'utf8');
      const esm = path.endsWith('.mjs') || (path.endsWith('.js') && type === 'module');
      let code;
      try {
        ({ code } = await transform(source, {
          loader: 'js',
          format: esm ? 'esm' : 'cjs',
          minifyWhitespace: true,
          minifySyntax: true,
          legalComments: 'none',
          target: 'node20',
        }));
      } catch (error) {
        throw new Error(`slim-deps: cannot minify ${path}: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
      // A source map comment would point at a removed file.
      code = code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
      writeFileSync(path, code);
      before += Buffer.byteLength(source);
      after += Buffer.byteLength(code);
      files += 1;
    }
  }
  return { before, after, files };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const target = process.argv[2];
  if (!target || process.argv.length > 3) {
    process.stderr.write('usage: node scripts/slim-deps.mjs <node_modules directory>\n');
    process.exit(2);
  }
  const { before, after, files } = await slimDeps(target);
  process.stdout.write(
    `slim-deps: ${files} files of ${SLIMMED_PACKAGES.join(', ')}: ${(before / 2 ** 20).toFixed(1)} → ${(after / 2 ** 20).toFixed(1)} MiB of JavaScript\n`,
  );
}
