/**
 * The checkout's bundler of the console's page script: esbuild (a dev dependency) bundles
 * `ui/main.ts` in memory. Left out of the build (tsconfig.build.json) and so of the package and the
 * image, which serve the script prebuilt (`ui/app.js`); bundle.ts loads this module by URL only
 * when that file is missing.
 */
import { build } from 'esbuild';

export async function bundleUiScript(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild wrote no output');
  return file.text;
}
